const { request } = require('../utils/request');
const { pageQuery } = require('../utils/list');

/** GET /transfers?status=&cursor=&limit= → {items (with timeline), next_cursor} (mine; staff: out of / into their scope) */
function listTransfers(query) {
  return request({ method: 'GET', path: '/transfers', query: pageQuery(query) });
}

/** POST /transfers {to_org_id | external_org, reason} → 201 transfer (组织关系转接) */
function requestTransfer(body) {
  return request({ method: 'POST', path: '/transfers', data: body });
}

/** POST /transfers/{id}/approve {} (outgoing branch: a 介绍信 number is issued) */
function approveTransfer(id) {
  return request({ method: 'POST', path: '/transfers/{id}/approve', params: { id }, data: {} });
}

/** POST /transfers/{id}/accept {} (receiving branch: the member's organisation changes at once) */
function acceptTransfer(id) {
  return request({ method: 'POST', path: '/transfers/{id}/accept', params: { id }, data: {} });
}

/** POST /transfers/{id}/return {reason} (receiving branch) */
function returnTransfer(id, reason) {
  return request({ method: 'POST', path: '/transfers/{id}/return', params: { id }, data: { reason } });
}

/** POST /transfers/{id}/cancel {reason?} (the member, or the outgoing branch) */
function cancelTransfer(id, reason) {
  return request({ method: 'POST', path: '/transfers/{id}/cancel', params: { id }, data: reason ? { reason } : {} });
}

module.exports = { listTransfers, requestTransfer, approveTransfer, acceptTransfer, returnTransfer, cancelTransfer };
