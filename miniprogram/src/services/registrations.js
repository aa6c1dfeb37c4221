const { request } = require('../utils/request');
const { pageQuery } = require('../utils/list');

/** POST /member-registrations {org_id, name, party_status, skills, phone?} → 201 registration */
function createRegistration(body) {
  return request({ method: 'POST', path: '/member-registrations', data: body });
}

/** GET /member-registrations?status=&cursor=&limit= → {items, next_cursor} */
function listRegistrations(query, opts) {
  return request({ method: 'GET', path: '/member-registrations', query: pageQuery(query), silent: !!(opts && opts.silent) });
}

/** POST /member-registrations/{id}/approve {} */
function approveRegistration(id) {
  return request({ method: 'POST', path: '/member-registrations/{id}/approve', params: { id }, data: {} });
}

/** POST /member-registrations/{id}/reject {reason} */
function rejectRegistration(id, reason) {
  return request({ method: 'POST', path: '/member-registrations/{id}/reject', params: { id }, data: { reason } });
}

module.exports = { createRegistration, listRegistrations, approveRegistration, rejectRegistration };
