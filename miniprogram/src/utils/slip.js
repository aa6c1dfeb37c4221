/**
 * 纸质服务单: what a scanned code means. The slip's QR holds the mini-program path
 * `pages/order-detail/order-detail?id=<order>&slip=<sig>` (models/orders/slip.py): wx.scanCode
 * gives it as `path` for a mini-program code and as `result` for a plain QR.
 *
 * slipPage(scanResult) → the page to open ('/pages/order-detail/order-detail?id=…&slip=…'),
 * or '' when the code is anything else.
 */
const PAGE = 'pages/order-detail/order-detail';

function decode(value) {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch (e) {
    return '';
  }
}

function parse(text) {
  const raw = String(text || '').trim().replace(/^\//, '');
  const mark = raw.indexOf('?');
  if (mark < 0 || raw.slice(0, mark).replace(/\.html$/, '') !== PAGE) return null;
  const query = {};
  raw
    .slice(mark + 1)
    .split('&')
    .forEach((pair) => {
      const eq = pair.indexOf('=');
      if (eq > 0) query[decode(pair.slice(0, eq))] = decode(pair.slice(eq + 1));
    });
  return query;
}

function slipPage(res) {
  const r = res || {};
  const query = parse(r.path) || parse(r.result);
  if (!query) return '';
  const id = query.id || '';
  const slip = query.slip || '';
  // an order id is an ObjectId; the signature is URL-safe base64 (no padding)
  if (!/^[0-9a-f]{24}$/.test(id) || !/^[A-Za-z0-9_-]{8,128}$/.test(slip)) return '';
  return '/' + PAGE + '?id=' + id + '&slip=' + slip;
}

module.exports = { slipPage };
