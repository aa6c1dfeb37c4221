/**
 * Unread-notification badge: the count is shown on the 「我的」 tab (index 2 in app.json) and on the
 * 消息通知 cell of the profile page. refresh() is called from the tab pages' onShow; it never shows
 * an error and never logs in by itself.
 */
const notificationsService = require('../services/notifications');
const auth = require('./auth');

const PROFILE_TAB_INDEX = 2;

function badgeText(count) {
  const n = Number(count) || 0;
  if (n <= 0) return '';
  return n > 99 ? '99+' : String(n);
}

function appData() {
  try {
    const app = typeof getApp === 'function' ? getApp() : null;
    return app && app.globalData ? app.globalData : null;
  } catch (e) {
    return null;
  }
}

/** Shows a count on the tab bar (fails quietly on pages that are not tab pages). */
function apply(count) {
  const n = Math.max(0, Number(count) || 0);
  const g = appData();
  if (g) g.unread = n;
  try {
    if (n > 0) wx.setTabBarBadge({ index: PROFILE_TAB_INDEX, text: badgeText(n), fail() {} });
    else wx.removeTabBarBadge({ index: PROFILE_TAB_INDEX, fail() {} });
  } catch (e) {
    // no tab bar on this page
  }
  return n;
}

/** Last known count (for pages that render it before refresh() answers). */
function current() {
  const g = appData();
  return (g && g.unread) || 0;
}

/** GET /notifications/unread-count → the count (the last known one when logged out or offline). */
function refresh() {
  if (!auth.isLoggedIn()) return Promise.resolve(apply(0));
  return Promise.resolve()
    .then(() => notificationsService.getUnreadCount())
    .then((res) => apply(res && typeof res.count === 'number' ? res.count : 0))
    .catch(() => current());
}

module.exports = { refresh, apply, current, badgeText, PROFILE_TAB_INDEX };
