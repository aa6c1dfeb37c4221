/**
 * Recorded API answers, one file per demo person: test/fixtures/api/<role>.json =
 * {role, openid, responses: {"GET /api/v1/orders?limit=20&offset=0&scope=mine": {status, body}}}.
 * They are recorded from the demo backend (tools/preview/record_fixtures.py) and checked against
 * the OpenAPI document by test/contract/openapi-contract.test.js.
 */
const fs = require('fs');
const http = require('http');
const path = require('path');

const DIR = path.resolve(__dirname, '../../test/fixtures/api');
const PREFIX = '/api/v1';

/** "METHOD /api/v1/path?sorted=query" for a wx.request URL. */
function keyFor(method, url) {
  const u = new URL(url, 'http://preview.invalid');
  const params = Array.from(u.searchParams.entries()).sort((a, b) => (a[0] + '=' + a[1] < b[0] + '=' + b[1] ? -1 : 1));
  const q = params.map(([k, v]) => encodeURIComponent(k) + '=' + encodeURIComponent(v)).join('&');
  return method.toUpperCase() + ' ' + u.pathname + (q ? '?' + q : '');
}

function load(role) {
  const file = path.join(DIR, role + '.json');
  if (!fs.existsSync(file)) return { role, openid: '', responses: {} };
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

function loadAll() {
  const out = {};
  if (!fs.existsSync(DIR)) return out;
  fs.readdirSync(DIR)
    .filter((f) => f.endsWith('.json'))
    .forEach((f) => {
      const fx = JSON.parse(fs.readFileSync(path.join(DIR, f), 'utf8'));
      out[fx.role] = fx;
    });
  return out;
}

function save(fx) {
  fs.mkdirSync(DIR, { recursive: true });
  const sorted = {};
  Object.keys(fx.responses)
    .sort()
    .forEach((k) => {
      sorted[k] = fx.responses[k];
    });
  fs.writeFileSync(path.join(DIR, fx.role + '.json'), JSON.stringify({ role: fx.role, openid: fx.openid, responses: sorted }, null, 1) + '\n');
}

// a page may write in passing (e.g. marking messages read): the preview answers without sending it,
// so that every screen sees the recorded state
const WRITE_OK = { status: 200, body: {} };

function isWrite(req) {
  return req.method !== 'GET' && !/\/auth\/wechat-login$/.test(new URL(req.url, 'http://x').pathname);
}

const UNAVAILABLE = { error: { code: 'service_unavailable', message: '服务暂不可用，请稍后重试' } };

/**
 * Answers from a role's fixtures. screen.fail: key prefixes answered 503 (the loading-error states).
 * A request with no fixture is a problem of the preview (reported), answered 404.
 */
function replay(fx, screen, problems) {
  return (req) => {
    const key = keyFor(req.method, req.url);
    const failing = (screen.fail || []).some((p) => key.startsWith(p));
    if (failing) return delay({ status: 503, body: UNAVAILABLE });
    const hit = fx.responses[key];
    if (!hit && isWrite(req)) return delay(WRITE_OK);
    if (!hit) {
      problems.push('no recorded answer for ' + key + ' (refresh the fixtures: npm run preview:record)');
      return delay({ status: 404, body: { error: { code: 'not_recorded', message: '内容不存在或已被删除' } } });
    }
    return delay(JSON.parse(JSON.stringify(hit)));
  };
}

function delay(value) {
  return new Promise((resolve) => setTimeout(() => resolve(value), 0));
}

/** Sends the request to the live backend at `base` and keeps the answer in fx.responses. */
function record(fx, base, screen) {
  return (req) =>
    new Promise((resolve, reject) => {
      const key = keyFor(req.method, req.url);
      if ((screen.fail || []).some((p) => key.startsWith(p))) return resolve({ status: 503, body: UNAVAILABLE });
      if (isWrite(req)) return resolve(WRITE_OK);
      const u = new URL(req.url);
      const target = new URL(u.pathname + u.search, base);
      const body = req.data === undefined ? null : JSON.stringify(req.data);
      const headers = Object.assign({}, req.header);
      if (body) headers['Content-Length'] = Buffer.byteLength(body);
      const r = http.request(target, { method: req.method, headers }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json = {};
          try {
            json = text ? JSON.parse(text) : {};
          } catch (e) {
            json = {};
          }
          const kept = JSON.parse(JSON.stringify(json));
          if (key === 'POST ' + PREFIX + '/auth/wechat-login' && kept.token) kept.token = 'preview-token-' + fx.role;
          if (req.method === 'GET' || key === 'POST ' + PREFIX + '/auth/wechat-login') fx.responses[key] = { status: res.statusCode, body: kept };
          resolve({ status: res.statusCode, body: json });
        });
      });
      r.on('error', reject);
      if (body) r.write(body);
      r.end();
    });
}

/** Orders the role has seen in any recorded list or detail, for picking one by status. */
function orders(fx) {
  const seen = new Map();
  Object.keys(fx.responses).forEach((k) => {
    const body = fx.responses[k].body || {};
    const items = Array.isArray(body.items) ? body.items : body.id && body.status && k.startsWith('GET ' + PREFIX + '/orders/') ? [body] : [];
    items.forEach((o) => {
      if (o && o.id && o.status && o.category_id && !seen.has(o.id)) seen.set(o.id, o);
    });
  });
  return Array.from(seen.values());
}

module.exports = { keyFor, load, loadAll, save, replay, record, orders, DIR };
