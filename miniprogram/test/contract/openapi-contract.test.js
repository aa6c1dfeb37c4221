/**
 * Contract test: every method + path the services/ layer calls must exist in the backend's
 * OpenAPI 3 document. The document is read from $OPENAPI_JSON, default ../build/openapi.json
 * relative to miniprogram/. A missing document is a failure, not a skip.
 *
 * Calls are found two ways and both must agree:
 *  - dynamically: each exported service function is called with utils/request mocked;
 *  - statically: request({ method: '...', path: '...' }) literals in services/*.js.
 */
const fs = require('fs');
const path = require('path');

jest.mock('../../src/utils/request', () => ({ request: jest.fn(() => Promise.resolve({})) }));
const { request } = require('../../src/utils/request');

const ROOT = path.resolve(__dirname, '../..');
const SERVICES = path.join(ROOT, 'src/services');
const OPENAPI = process.env.OPENAPI_JSON ? path.resolve(process.env.OPENAPI_JSON) : path.resolve(ROOT, '../build/openapi.json');
const PREFIX = '/api/v1';

const serviceFiles = fs.readdirSync(SERVICES).filter((f) => f.endsWith('.js'));

function normalise(p) {
  return p.replace(/\{[^}]+\}/g, '{}').replace(/\/+$/, '');
}

function recordCalls() {
  const calls = [];
  serviceFiles.forEach((file) => {
    const mod = require(path.join(SERVICES, file));
    Object.keys(mod).forEach((name) => {
      if (typeof mod[name] !== 'function') return;
      request.mockClear();
      mod[name]('id-1', { any: 1 }, 'key-1');
      const made = request.mock.calls.map((c) => c[0]);
      calls.push({ fn: file + ':' + name, made });
    });
  });
  return calls;
}

function staticCalls() {
  const found = [];
  const re = /request\(\{\s*method:\s*'([A-Z]+)',\s*path:\s*'([^']+)'/g;
  serviceFiles.forEach((file) => {
    const text = fs.readFileSync(path.join(SERVICES, file), 'utf8');
    let m;
    while ((m = re.exec(text))) found.push(m[1] + ' ' + m[2]);
  });
  return found;
}

describe('services ↔ backend OpenAPI contract', () => {
  const calls = recordCalls();

  test('every exported service function makes exactly one request with a literal method and path template', () => {
    expect(calls.length).toBeGreaterThan(20);
    calls.forEach((c) => {
      expect({ fn: c.fn, count: c.made.length }).toEqual({ fn: c.fn, count: 1 });
      const r = c.made[0];
      expect(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).toContain(r.method);
      expect(r.path).toMatch(/^\/[a-z0-9\-/{}_]*$/);
    });
  });

  test('the static scan of services/*.js finds the same calls as running them', () => {
    const dynamic = calls.map((c) => c.made[0].method + ' ' + c.made[0].path).sort();
    expect(staticCalls().sort()).toEqual(dynamic);
  });

  test('the OpenAPI document exists (set OPENAPI_JSON or build ../build/openapi.json)', () => {
    if (!fs.existsSync(OPENAPI)) {
      throw new Error('OpenAPI document not found at ' + OPENAPI + ' — generate it from the backend or set OPENAPI_JSON');
    }
  });

  test('every method + path called by services/ exists in the OpenAPI paths', () => {
    expect(fs.existsSync(OPENAPI)).toBe(true);
    const doc = JSON.parse(fs.readFileSync(OPENAPI, 'utf8'));
    expect(doc.openapi).toMatch(/^3\./);
    const available = new Set();
    Object.keys(doc.paths || {}).forEach((p) => {
      Object.keys(doc.paths[p]).forEach((method) => available.add(method.toUpperCase() + ' ' + normalise(p)));
    });
    const missing = [];
    calls.forEach((c) => {
      const r = c.made[0];
      const key = r.method + ' ' + normalise(PREFIX + r.path);
      if (!available.has(key)) missing.push(c.fn + ' → ' + r.method + ' ' + PREFIX + r.path);
    });
    expect(missing).toEqual([]);
  });

  describe('notifications, subscriptions and privacy services', () => {
    const doc = fs.existsSync(OPENAPI) ? JSON.parse(fs.readFileSync(OPENAPI, 'utf8')) : null;
    const notifications = require(path.join(SERVICES, 'notifications.js'));
    const me = require(path.join(SERVICES, 'me.js'));

    function resolve(schema) {
      let s = schema;
      while (s && s.$ref) s = s.$ref.split('/').slice(1).reduce((o, k) => o[k], doc);
      return s;
    }

    /** A small JSON-schema check: type, required, additionalProperties: false, array bounds, string length. */
    function violations(value, schema, where) {
      const s = resolve(schema) || {};
      const out = [];
      const type = Array.isArray(value) ? 'array' : value === null ? 'null' : Number.isInteger(value) ? 'integer' : typeof value;
      if (s.type && !(s.type === type || (s.type === 'number' && type === 'integer') || (value === null && s.nullable))) {
        return [where + ': ' + type + ' is not ' + s.type];
      }
      if (type === 'object') {
        (s.required || []).forEach((k) => {
          if (!(k in value)) out.push(where + '.' + k + ' is required');
        });
        Object.keys(value).forEach((k) => {
          const prop = s.properties && s.properties[k];
          if (prop) out.push(...violations(value[k], prop, where + '.' + k));
          else if (s.additionalProperties === false) out.push(where + '.' + k + ' is not in the schema');
        });
      }
      if (type === 'array') {
        if (s.minItems !== undefined && value.length < s.minItems) out.push(where + ': fewer than ' + s.minItems + ' items');
        if (s.maxItems !== undefined && value.length > s.maxItems) out.push(where + ': more than ' + s.maxItems + ' items');
        value.forEach((v, i) => out.push(...violations(v, s.items || {}, where + '[' + i + ']')));
      }
      if (type === 'string') {
        if (s.minLength !== undefined && value.length < s.minLength) out.push(where + ': shorter than ' + s.minLength);
        if (s.maxLength !== undefined && value.length > s.maxLength) out.push(where + ': longer than ' + s.maxLength);
        if (s.enum && s.enum.indexOf(value) < 0) out.push(where + ': not one of ' + s.enum.join(', '));
      }
      return out;
    }

    /** Runs fn(...args) with request mocked; returns the request options and the OpenAPI operation. */
    function call(fn, ...args) {
      request.mockClear();
      fn(...args);
      expect(request).toHaveBeenCalledTimes(1);
      const r = request.mock.calls[0][0];
      const op = doc.paths[PREFIX + r.path] && doc.paths[PREFIX + r.path][r.method.toLowerCase()];
      expect({ call: r.method + ' ' + r.path, found: !!op }).toEqual({ call: r.method + ' ' + r.path, found: true });
      return { r, op };
    }

    function checkBody(r, op) {
      if (!op.requestBody) {
        expect({ call: r.method + ' ' + r.path, data: r.data }).toEqual({ call: r.method + ' ' + r.path, data: undefined });
        return;
      }
      const schema = op.requestBody.content['application/json'].schema;
      expect(violations(r.data, schema, r.method + ' ' + r.path)).toEqual([]);
    }

    function checkQuery(r, op) {
      const declared = (op.parameters || []).filter((p) => p.in === 'query').map((p) => p.name);
      Object.keys(r.query || {}).forEach((k) => expect(declared).toContain(k));
    }

    test('the body checker itself rejects what the server would reject', () => {
      expect(doc).not.toBeNull();
      const read = doc.paths[PREFIX + '/notifications/read'].post.requestBody.content['application/json'].schema;
      const subs = doc.paths[PREFIX + '/subscriptions'].post.requestBody.content['application/json'].schema;
      expect(violations({ ids: [] }, read, 'r')).toEqual(['r.ids: fewer than 1 items']);
      expect(violations({ all: true, ids_: ['x'] }, read, 'r')).toEqual(['r.ids_ is not in the schema']);
      expect(violations({}, subs, 's')).toEqual(['s.template_ids is required']);
      expect(violations({ template_ids: [''] }, subs, 's')).toEqual(['s.template_ids[0]: shorter than 1']);
    });

    test('the new endpoints are all called by services/', () => {
      const called = new Set(calls.map((c) => c.made[0].method + ' ' + c.made[0].path));
      [
        'GET /notifications',
        'GET /notifications/unread-count',
        'POST /notifications/read',
        'GET /subscriptions',
        'POST /subscriptions',
        'GET /me/export',
        'DELETE /me'
      ].forEach((k) => expect(called).toContain(k));
    });

    test('inbox calls: declared query parameters, ReadRequest bodies', () => {
      expect(doc).not.toBeNull();
      let x = call(notifications.listNotifications, { unread: true, offset: 0, limit: 20 });
      checkQuery(x.r, x.op);
      x = call(notifications.getUnreadCount);
      checkBody(x.r, x.op);
      x = call(notifications.markRead, ['n1', 'n2']);
      checkBody(x.r, x.op);
      x = call(notifications.markRead, 'n1');
      checkBody(x.r, x.op);
      x = call(notifications.markRead, Array.from({ length: 150 }, (_, i) => 'n' + i));
      checkBody(x.r, x.op);
      x = call(notifications.markAllRead);
      checkBody(x.r, x.op);
    });

    test('pkg-record calls (双报到, 转接, 证明, 服务记录, 荣誉榜): bodies and query parameters as declared', () => {
      expect(doc).not.toBeNull();
      const svc = (name) => require(path.join(SERVICES, name + '.js'));
      const id = '6b1088b664e5829448991138';
      const bodies = [
        [svc('reports').createReport, { community_id: id, post_ids: [id], note: '住 3 号楼' }],
        [svc('reports').confirmReport, id],
        [svc('reports').declineReport, id, '请向居住地社区报到'],
        [svc('reports').endReport, id, ''],
        [svc('reports').endReport, id, '搬家'],
        [svc('transfers').requestTransfer, { to_org_id: id, reason: '工作调动' }],
        [svc('transfers').requestTransfer, { external_org: '某区某街道党工委', reason: '搬家' }],
        [svc('transfers').approveTransfer, id],
        [svc('transfers').acceptTransfer, id],
        [svc('transfers').returnTransfer, id, '材料不全'],
        [svc('transfers').cancelTransfer, id],
        [svc('certificates').requestCertificate, { from: '2025-01-01', to: '2026-06-30', id_type: '居民身份证', id_number: '110101199001010003', purpose: '升学' }]
      ];
      bodies.forEach(([fn, ...args]) => {
        const x = call(fn, ...args);
        checkBody(x.r, x.op);
      });
      const queries = [
        [svc('reports').listReports, { status: 'pending', offset: 0, limit: 20 }],
        [svc('reports').listPosts, id],
        [svc('transfers').listTransfers, { status: 'pending_in', cursor: 'abc', limit: 10 }],
        [svc('certificates').listCertificates, { offset: 0, limit: 20 }],
        [svc('records').getMyRecord, { from: '2026-01-01', to: '2026-06-30' }],
        [svc('records').listHonours, id, 20]
      ];
      queries.forEach(([fn, ...args]) => {
        const x = call(fn, ...args);
        checkQuery(x.r, x.op);
      });
      // the status tabs only ask for statuses the server knows
      const { REPORT_TABS, TRANSFER_TABS } = require('../../src/utils/format');
      const enumOf = (p) => resolve(doc.paths[PREFIX + p].get.parameters.find((x) => x.name === 'status').schema).enum;
      REPORT_TABS.forEach((t) => expect(enumOf('/community-reports')).toContain(t));
      TRANSFER_TABS.forEach((t) => expect(enumOf('/transfers')).toContain(t));
    });

    test('photos as media ids: the bodies the wish, fulfil and voice forms send (test/pages/wish-voice.test.js)', () => {
      expect(doc).not.toBeNull();
      const wishes = require(path.join(SERVICES, 'wishes.js'));
      const voices = require(path.join(SERVICES, 'voices.js'));
      const ids = ['6b1088b664e5829448991131', '6b1088b664e5829448991132'];
      const wishBody = { org_id: '6b1088b664e5829448991138', category: '学习用品', title: '新书包', description: '孩子上学需要', value: 120, photos: ids };
      let x = call(wishes.postWish, wishBody);
      expect(x.r.data.photos).toEqual(ids);
      checkBody(x.r, x.op);
      x = call(wishes.fulfilWish, '6b1088b664e5829448991139', { note: '书包已送到', photos: ids });
      expect(x.r.data.photos).toEqual(ids);
      checkBody(x.r, x.op);
      x = call(voices.submitVoice, { kind: 'suggestion', category: '环境卫生', text: '垃圾桶满了', anonymous: false, photos: ids.slice(0, 1), org_id: '6b1088b664e5829448991138' });
      checkBody(x.r, x.op);
      x = call(voices.submitVoice, { kind: 'complaint', category: '环境卫生', text: '楼道灯坏了', anonymous: true, photos: ids, scene: 'AbCdEfGhIjKlMnOp.qrStUvWx' });
      checkBody(x.r, x.op);
      // the request field is `photos`; `fulfil_photos` is only the name in the answer
      x = call(wishes.fulfilWish, '6b1088b664e5829448991139', { note: '书包已送到', fulfil_photos: ids });
      expect(violations(x.r.data, x.op.requestBody.content['application/json'].schema, 'f')).toEqual(['f.fulfil_photos is not in the schema']);
      // and the answers carry photo objects with signed urls
      const photo = resolve(resolve(doc.paths[PREFIX + '/wishes/{id}'].get.responses['200'].content['application/json'].schema).properties.fulfil_photos).items;
      ['id', 'url', 'thumb_url', 'width', 'height'].forEach((k) => expect(Object.keys(resolve(photo).properties)).toContain(k));
    });

    test('subscription report: SubscriptionsRequest body and a declared Idempotency-Key header', () => {
      expect(doc).not.toBeNull();
      const { r, op } = call(notifications.reportSubscriptions, ['tmpl-order', 'tmpl-todo'], 'a3f1c2d4-0000-4000-8000-000000000000');
      checkBody(r, op);
      const header = (op.parameters || []).find((p) => p.in === 'header' && p.name === 'Idempotency-Key');
      expect(header).toBeDefined();
      expect(violations(r.header['Idempotency-Key'], header.schema, 'Idempotency-Key')).toEqual([]);
      const get = call(notifications.getSubscriptions);
      checkBody(get.r, get.op);
      const quota = resolve(resolve(get.op.responses['200'].content['application/json'].schema).properties.items.items);
      expect(quota.properties.template_id).toBeDefined();
    });

    describe('recorded fixtures of the preview (test/fixtures/api, refreshed by npm run preview:record)', () => {
      const fixtures = require('../../tools/preview/fixtures').loadAll();
      const templates = doc
        ? Object.keys(doc.paths)
            .map((p) => ({ p, params: (p.match(/\{/g) || []).length, re: new RegExp('^' + p.replace(/\{[^}]+\}/g, '[^/]+') + '$') }))
            .sort((a, b) => a.params - b.params)
        : [];
      const entries = [];
      Object.values(fixtures).forEach((fx) =>
        Object.keys(fx.responses).forEach((key) => entries.push({ role: fx.role, key, res: fx.responses[key] }))
      );

      test('there are fixtures for every role the preview shows', () => {
        expect(Object.keys(fixtures).sort()).toEqual(expect.arrayContaining(['member', 'newcomer', 'resident', 'secretary']));
        expect(entries.length).toBeGreaterThan(50);
      });

      test('every recorded answer is a documented operation, status and response body', () => {
        expect(doc).not.toBeNull();
        const problems = [];
        entries.forEach(({ role, key, res }) => {
          const [method, url] = key.split(' ');
          const u = new URL(url, 'http://x');
          const t = templates.find((x) => x.re.test(u.pathname));
          const op = t && doc.paths[t.p][method.toLowerCase()];
          if (!op) return problems.push(role + ' ' + key + ': not in the OpenAPI document');
          const declared = (op.parameters || []).filter((p) => p.in === 'query').map((p) => p.name);
          u.searchParams.forEach((v, k) => {
            if (declared.indexOf(k) < 0) problems.push(role + ' ' + key + ': query parameter ' + k + ' is not declared');
          });
          const answer = op.responses[String(res.status)];
          if (!answer) return problems.push(role + ' ' + key + ': status ' + res.status + ' is not documented');
          const schema = answer.content && answer.content['application/json'] && answer.content['application/json'].schema;
          if (schema) problems.push(...violations(res.body, schema, role + ' ' + key));
        });
        expect(problems).toEqual([]);
      });

      test('the check itself notices a drifted fixture', () => {
        const op = doc.paths[PREFIX + '/orders'].get;
        const schema = op.responses['200'].content['application/json'].schema;
        expect(violations({ items: [{ id: 'o1', status: 'closed', price: 3 }], next_cursor: null }, schema, 'x')).toEqual(['x.items[0].price is not in the schema']);
        expect(violations({ items: [{ status: 'closed' }] }, schema, 'x')).toEqual(['x.items[0].id is required']);
      });
    });

    test('privacy calls: GET /me/export and DELETE /me send no body; the export has the lists the summary counts', () => {
      expect(doc).not.toBeNull();
      let x = call(me.exportMyData);
      checkBody(x.r, x.op);
      const out = resolve(x.op.responses['200'].content['application/json'].schema);
      ['orders_placed', 'orders_served', 'ledger_entries', 'member_registrations', 'notifications'].forEach((k) => expect(out.properties[k].type).toBe('array'));
      x = call(me.eraseMe);
      checkBody(x.r, x.op);
      expect(x.op.responses['409']).toBeDefined();
    });
  });
});
