/**
 * WeChat login: wx.login → POST /auth/wechat-login → token in storage.
 * Concurrent callers share one login in flight.
 */
const storage = require('./storage');
const authService = require('../services/auth');

let pending = null;

function apiError(code, message, status) {
  const { ApiError } = require('./request');
  return new ApiError({ status: status || 0, code, message });
}

function wxLogin() {
  return new Promise((resolve, reject) => {
    wx.login({
      success(res) {
        if (res && res.code) resolve(res.code);
        else reject(new Error('wx.login returned no code'));
      },
      fail: reject
    });
  });
}

/**
 * Logs in with the WeChat code. `interactive` is true when the user tapped a login button:
 * only then is an explicit logout overridden.
 */
function login(interactive) {
  if (!interactive && storage.isLoggedOut()) {
    return Promise.reject(apiError('not_logged_in', '请先登录', 401));
  }
  if (pending) return pending;
  pending = (async () => {
    try {
      let code;
      try {
        code = await wxLogin();
      } catch (e) {
        throw apiError('wx_login_failed', '微信登录失败，请稍后重试');
      }
      const res = await authService.wechatLogin(code);
      storage.setSession(res.token, res.expires_at);
      storage.setLoggedOut(false);
      if (res.user) storage.setUser(res.user);
      return res.user || null;
    } finally {
      pending = null;
    }
  })();
  return pending;
}

/** Used by utils/request on a 401: drop the old token and log in again, silently. */
function relogin() {
  storage.clearSession();
  return login(false);
}

function isLoggedIn() {
  return !!storage.getToken();
}

async function ensureLogin() {
  if (isLoggedIn()) return storage.getUser();
  return login(false);
}

/**
 * Ends the session. opts.remote === false skips POST /auth/logout: after DELETE /me the server has
 * dropped the token already, and a 401 there would trigger the silent re-login (a new account).
 */
async function logout(opts) {
  const remote = !(opts && opts.remote === false);
  try {
    if (remote && isLoggedIn()) await authService.logout();
  } catch (e) {
    // the local session is dropped anyway
  }
  storage.clearSession();
  storage.setLoggedOut(true);
}

module.exports = { login, relogin, ensureLogin, logout, isLoggedIn };
