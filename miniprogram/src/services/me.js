const { request } = require('../utils/request');

/** GET /me → user */
function getMe() {
  return request({ method: 'GET', path: '/me' });
}

/** POST /me/phone {code} → user (code from <button open-type="getPhoneNumber">) */
function bindPhone(code) {
  return request({ method: 'POST', path: '/me/phone', data: { code } });
}

/** PATCH /me {care_mode} → user (the settings remembered on the account) */
function updateMe(data) {
  return request({ method: 'PATCH', path: '/me', data });
}

/**
 * GET /me/export → {user, orders_placed, orders_served, member_registrations, ledger_entries,
 * active_sessions, notifications, subscriptions, exported_at}
 */
function exportMyData() {
  return request({ method: 'GET', path: '/me/export', timeout: 30000 });
}

/**
 * DELETE /me → {ok, erased_at, cancelled_orders}. Silent: the caller shows a 409's reason in a dialog.
 * The server drops every session of the account: do not call POST /auth/logout afterwards.
 */
function eraseMe() {
  return request({ method: 'DELETE', path: '/me', silent: true });
}

module.exports = { getMe, updateMe, bindPhone, exportMyData, eraseMe };
