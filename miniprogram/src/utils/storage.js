/** Token and cached-user storage (wx storage, synchronous). */
const TOKEN_KEY = 'tx_token';
const USER_KEY = 'tx_user';
const LOGGED_OUT_KEY = 'tx_logged_out';

function parseTime(s) {
  const t = Date.parse(s);
  return isNaN(t) ? 0 : t;
}

function getSession() {
  try {
    const s = wx.getStorageSync(TOKEN_KEY);
    return s && typeof s === 'object' && s.token ? s : null;
  } catch (e) {
    return null;
  }
}

function getToken() {
  const s = getSession();
  if (!s) return '';
  // treat a token that expires within a minute as already gone
  if (s.expires_at && parseTime(s.expires_at) && parseTime(s.expires_at) < Date.now() + 60 * 1000) return '';
  return s.token;
}

function setSession(token, expiresAt) {
  wx.setStorageSync(TOKEN_KEY, { token, expires_at: expiresAt || '' });
}

function getUser() {
  try {
    const u = wx.getStorageSync(USER_KEY);
    return u && typeof u === 'object' ? u : null;
  } catch (e) {
    return null;
  }
}

function setUser(user) {
  wx.setStorageSync(USER_KEY, user || null);
}

function clearSession() {
  try {
    wx.removeStorageSync(TOKEN_KEY);
    wx.removeStorageSync(USER_KEY);
  } catch (e) {
    // ignore
  }
}

// remembered by the order form (pages/order-create)
const LAST_ORDER_ORG_KEY = 'tx_last_order_org';

/** After the account was erased: forget everything this device remembers about the person. */
function clearPersonalData() {
  clearSession();
  try {
    wx.removeStorageSync(LAST_ORDER_ORG_KEY);
  } catch (e) {
    // ignore
  }
}

/** After an explicit logout no silent login happens until the user logs in again. */
function isLoggedOut() {
  try {
    return wx.getStorageSync(LOGGED_OUT_KEY) === true;
  } catch (e) {
    return false;
  }
}

function setLoggedOut(v) {
  if (v) wx.setStorageSync(LOGGED_OUT_KEY, true);
  else wx.removeStorageSync(LOGGED_OUT_KEY);
}

module.exports = {
  getToken,
  getSession,
  setSession,
  getUser,
  setUser,
  clearSession,
  clearPersonalData,
  isLoggedOut,
  setLoggedOut,
  LAST_ORDER_ORG_KEY
};
