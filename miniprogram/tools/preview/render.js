/**
 * Renders one screen with the page's own JS, WXML (compiled by wcc through miniprogram-simulate)
 * and services, against a transport that answers wx.request; returns the page's HTML and what the
 * native side was asked to show.
 */
const path = require('path');
const { JSDOM } = require('jsdom');
const { createWx } = require('./wx');
const { rpx } = require('./css');

// the mini-program to render (the tests point it at a deliberately broken one)
const SRC = path.resolve(process.env.PREVIEW_SRC || path.join(__dirname, '../../src'));
const NATIVE_TAP = new Set(['WX-BUTTON', 'WX-PICKER', 'WX-INPUT', 'WX-TEXTAREA', 'WX-NAVIGATOR', 'WX-SWITCH', 'WX-CHECKBOX', 'WX-RADIO']);

let simulate = null;

function setupDom() {
  if (simulate) return;
  const dom = new JSDOM('<!doctype html><html><head></head><body></body></html>', { pretendToBeVisual: true });
  const w = dom.window;
  global.window = w;
  global.document = w.document;
  ['Node', 'Element', 'HTMLElement', 'Event', 'CustomEvent', 'TouchEvent', 'MutationObserver', 'navigator', 'getComputedStyle', 'requestAnimationFrame'].forEach((k) => {
    if (!(k in global) && w[k]) global[k] = w[k];
  });
  simulate = require('miniprogram-simulate');
  // inline style="…rpx": j-component turns 1 rpx into 1 px; WeChat at 375 px makes it 0.5 px
  require('j-component/src/tool/utils').transformRpx = (style) => rpx(String(style));
}

function forgetSources() {
  Object.keys(require.cache).forEach((k) => {
    if (k.startsWith(SRC + path.sep)) delete require.cache[k];
  });
}

/** Page({...}) as a component definition: data, and every function as a method. */
function pageShim() {
  global.Page = (opts) => {
    const methods = {};
    const data = {};
    Object.keys(opts).forEach((k) => {
      if (typeof opts[k] === 'function') methods[k] = opts[k];
      else if (k === 'data') Object.assign(data, JSON.parse(JSON.stringify(opts.data || {})));
    });
    methods.getOpenerEventChannel = () => ({ emit() {}, on() {} });
    global.Component({ data, methods, behaviors: opts.behaviors || [] });
  };
}

function tick(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms || 0));
}

/** Waits until no request is in flight for a few turns of the event loop. */
async function settle(wx) {
  let idle = 0;
  for (let i = 0; i < 400 && idle < 4; i++) {
    await tick(i < 50 ? 0 : 2);
    idle = wx.__ui.inflight === 0 ? idle + 1 : 0;
  }
}

function escapeHtml(s) {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function hasTap(el) {
  const node = el.__wxElement;
  const events = node && node._vt && node._vt.event;
  if (!events) return false;
  return Object.keys(events).some((k) => events[k] && /^(tap|longpress|longtap)$/.test(events[k].name) && events[k].handler);
}

/** A built-in node's attributes as the template set them (wx-input's value, a button's disabled…). */
function attrsOf(el) {
  const node = el.__wxElement;
  const out = Object.assign({}, (node && node.data) || {});
  const attrs = (node && node._vt && node._vt.attrs) || [];
  attrs.forEach((a) => {
    out[a.name] = a.value;
  });
  return out;
}

/** The rendered DOM as plain HTML: tap handlers marked, form controls showing value or placeholder. */
function serialize(node) {
  if (node.nodeType === 3) return escapeHtml(node.nodeValue);
  if (node.nodeType !== 1) return '';
  const tag = node.tagName.toLowerCase();
  if (tag === 'style' || tag === 'script') return '';
  const attrs = [];
  Array.from(node.attributes).forEach((a) => attrs.push(a.name + '="' + escapeHtml(a.value) + '"'));
  const data = attrsOf(node);
  if (hasTap(node) || NATIVE_TAP.has(node.tagName)) attrs.push('data-pv-tap="1"');
  if (data.disabled) attrs.push('disabled');
  if (data.loading && tag === 'wx-button') attrs.push('data-pv-loading');
  let inner = Array.from(node.childNodes).map(serialize).join('');
  if (tag === 'wx-input' || tag === 'wx-textarea') {
    const value = data.value === undefined || data.value === null ? '' : String(data.value);
    inner = value
      ? '<span class="pv-value">' + escapeHtml(value) + '</span>'
      : '<span class="pv-placeholder">' + escapeHtml(data.placeholder || '') + '</span>';
  }
  if (tag === 'wx-switch') {
    if (data.checked) attrs.push('data-pv-checked');
    if (data.color) attrs.push('style="--pv-switch:' + escapeHtml(data.color) + '"');
  }
  if (tag === 'wx-image' && data.src) attrs.push('data-src="' + escapeHtml(data.src) + '"');
  return '<' + tag + (attrs.length ? ' ' + attrs.join(' ') : '') + '>' + inner + '</' + tag + '>';
}

/** The person's account as saved with care_mode on: in GET /me and in the login answer. */
function withCareMode(transport) {
  return (req) =>
    Promise.resolve(transport(req)).then((res) => {
      const body = res && res.body;
      if (/\/api\/v1\/me$/.test(String(req.url).split('?')[0]) && req.method === 'GET' && body && body.role) body.care_mode = true;
      if (/\/auth\/wechat-login/.test(req.url) && body && body.user) body.user.care_mode = true;
      return res;
    });
}

/**
 * screen: {page, openid, query, storage, care, actions(inst)}; transport({method, url, data, header}) → {status, body}.
 * Returns {html, ui: {toast, badge, title, modal}, data}.
 */
async function renderScreen(screen, transport) {
  // care screens: the account has 关怀模式 on (the recorded answers say it is off)
  if (screen.care) transport = withCareMode(transport);
  setupDom();
  forgetSources();
  const wx = createWx({ transport, openid: screen.openid, storage: screen.storage });
  global.wx = wx;
  let appDef = null;
  global.App = (o) => {
    appDef = o;
  };
  global.getApp = () => appDef;
  global.getCurrentPages = () => [];
  pageShim();
  require(path.join(SRC, 'app.js'));
  appDef.globalData = JSON.parse(JSON.stringify(appDef.globalData || {}));
  appDef.onLaunch();
  await settle(wx);

  const id = simulate.load(path.join(SRC, screen.page), 'page', { rootPath: SRC });
  const comp = simulate.render(id, {});
  const host = document.createElement('div');
  document.body.appendChild(host);
  comp.attach(host);
  const inst = comp.instance;
  inst.route = screen.page;
  if (inst.onLoad) await inst.onLoad(Object.assign({}, screen.query || {}));
  if (inst.onShow) await inst.onShow();
  await settle(wx);
  if (screen.actions) {
    await screen.actions(inst, wx);
    await settle(wx);
  }
  // <page-meta page-style> styles the page node itself (care mode's CSS variables live there)
  const meta = comp.dom.querySelector('wx-page-meta');
  const pageStyle = meta ? attrsOf(meta)['page-style'] || attrsOf(meta).pageStyle || '' : '';
  let html = serialize(comp.dom);
  if (pageStyle) html = html.replace(/^<page\b/, '<page style="' + escapeHtml(pageStyle) + '"');
  const data = JSON.parse(JSON.stringify(inst.data));
  // leaving the page, as WeChat does: timers a page keeps (the rotating QR) stop before the next screen
  if (inst.onUnload) inst.onUnload();
  comp.detach();
  host.remove();
  return { html, ui: Object.assign({}, wx.__ui), data };
}

module.exports = { renderScreen, SRC, settle };
