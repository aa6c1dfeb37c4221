const { request } = require('../utils/request');

/** GET /me → user */
function getMe() {
  return request({ method: 'GET', path: '/me' });
}

/** POST /me/phone {code} → user (code from <button open-type="getPhoneNumber">) */
function bindPhone(code) {
  return request({ method: 'POST', path: '/me/phone', data: { code } });
}

module.exports = { getMe, bindPhone };
