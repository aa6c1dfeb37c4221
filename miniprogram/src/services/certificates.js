const { request } = require('../utils/request');
const { pageQuery } = require('../utils/list');

/** GET /certificates?status=&cursor=&limit= → {items, next_cursor} (mine; staff: their scope) */
function listCertificates(query) {
  return request({ method: 'GET', path: '/certificates', query: pageQuery(query) });
}

/** POST /certificates {from, to, id_type, id_number, purpose} → 201 certificate (志愿服务记录证明; the number is stored masked) */
function requestCertificate(body) {
  return request({ method: 'POST', path: '/certificates', data: body });
}

module.exports = { listCertificates, requestCertificate };
