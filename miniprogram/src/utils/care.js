/**
 * 关怀模式 (care mode): larger text, high contrast, a simpler home. One store for the whole app:
 * the setting lives on the account (PATCH /me {care_mode}), the cached user gives it at launch
 * before the network answers, and every page showing (behaviors/care.js) follows a change at once.
 */
const meService = require('../services/me');

// the page-level CSS variables every WXSS size and muted colour is written with
// (font-size: calc(28rpx * var(--care-scale, 1)); color: var(--care-muted, #999))
const CARE_STYLE = '--care-scale:1.3;--care-clamp:none;--care-muted:#262626;--text-2:#262626;--text-3:#333333;--line:#BBBBBB;text-wrap:pretty;';

let on = false;
const listeners = new Set();

function isOn() {
  return on;
}

function style(value) {
  return value ? CARE_STYLE : '';
}

function notify() {
  listeners.forEach((fn) => {
    try {
      fn(on);
    } catch (e) {
      // one page failing does not stop the others
    }
  });
}

/** The user's saved setting (from GET /me, the login answer or the cached user). */
function applyUser(user) {
  const next = !!(user && user.care_mode);
  if (next === on) return;
  on = next;
  notify();
}

/** fn(on) on every change; returns the unsubscribe function. */
function subscribe(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/**
 * Turns care mode on or off: every page follows at once; the account remembers it. When the server
 * refuses, the previous setting comes back (the request layer has said why).
 */
function set(value) {
  const next = !!value;
  const before = on;
  on = next;
  if (before !== next) notify();
  return meService.updateMe({ care_mode: next }).then(
    (user) => {
      const app = typeof getApp === 'function' ? getApp() : null;
      if (app && app.setUser) app.setUser(user);
      else applyUser(user);
      return user;
    },
    (err) => {
      on = before;
      notify();
      throw err;
    }
  );
}

/** Tests and logout: back to the standard mode, nobody listening keeps stale state. */
function reset() {
  on = false;
  notify();
}

module.exports = { isOn, style, applyUser, subscribe, set, reset, CARE_STYLE };
