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
});
