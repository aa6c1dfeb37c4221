const { request } = require('../utils/request');

/** POST /auth/wechat-login {code} → {token, expires_at, user} */
function wechatLogin(code) {
  return request({ method: 'POST', path: '/auth/wechat-login', data: { code }, auth: false, silent: true });
}

/** POST /auth/logout → {ok: true} */
function logout() {
  return request({ method: 'POST', path: '/auth/logout', data: {}, silent: true });
}

module.exports = { wechatLogin, logout };
