/**
 * Loads a mini-program page module and builds page instances from its Page({...}) options,
 * with a setData that understands path keys ('form.name', 'list.items[0].x').
 * Services must be jest.mock'ed by the test before calling loadPage.
 */
const path = require('path');

const SRC = path.resolve(__dirname, '../../src');
const definitions = new Map();

function setPath(obj, key, value) {
  const parts = key.replace(/\[(\d+)\]/g, '.$1').split('.');
  let cur = obj;
  for (let i = 0; i < parts.length - 1; i++) {
    const p = parts[i];
    if (cur[p] === null || typeof cur[p] !== 'object') cur[p] = /^\d+$/.test(parts[i + 1]) ? [] : {};
    else cur[p] = Array.isArray(cur[p]) ? cur[p].slice() : Object.assign({}, cur[p]);
    cur = cur[p];
  }
  cur[parts[parts.length - 1]] = value;
}

function definition(rel) {
  const file = path.join(SRC, rel);
  if (!definitions.has(file)) {
    let captured = null;
    global.Page = (opts) => {
      captured = opts;
    };
    require(file);
    if (!captured) throw new Error('Page() was not called by ' + rel);
    definitions.set(file, captured);
  }
  return definitions.get(file);
}

/**
 * createPage('pages/index/index') → instance (lifecycle not yet run).
 * opts.opener: object whose emit(name, data) receives getOpenerEventChannel() events.
 */
function createPage(rel, opts) {
  const def = definition(rel);
  const page = {};
  const data = {};
  // behaviors first: the page's own data and methods win, as in WeChat
  (def.behaviors || []).forEach((b) => {
    Object.assign(data, JSON.parse(JSON.stringify(b.data || {})));
    Object.keys(b.methods || {}).forEach((k) => {
      page[k] = b.methods[k].bind(page);
    });
  });
  Object.keys(def).forEach((k) => {
    if (k === 'data' || k === 'behaviors') return;
    page[k] = typeof def[k] === 'function' ? def[k].bind(page) : def[k];
  });
  page.data = Object.assign(data, JSON.parse(JSON.stringify(def.data || {})));
  page.setData = jest.fn((patch) => {
    const next = Object.assign({}, page.data);
    Object.keys(patch).forEach((k) => setPath(next, k, patch[k]));
    page.data = next;
  });
  const opener = (opts && opts.opener) || { emit: jest.fn() };
  page.getOpenerEventChannel = () => opener;
  return page;
}

/** Lets pending promise callbacks run. */
function flush() {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** A fake getApp() result. */
function fakeApp(user) {
  const app = {
    globalData: { user: user || null },
    ready: jest.fn(() => Promise.resolve(app.globalData.user)),
    login: jest.fn(() => Promise.resolve(app.globalData.user)),
    refreshUser: jest.fn(() => Promise.resolve(app.globalData.user)),
    setUser: jest.fn((u) => {
      app.globalData.user = u;
      return u;
    }),
    logout: jest.fn(() => Promise.resolve())
  };
  global.getApp = () => app;
  return app;
}

/** An ApiError like the one utils/request rejects with. */
function apiError(status, message, fields) {
  const { ApiError } = require('../../src/utils/request');
  const e = new ApiError({ status, code: 'test_' + status, message, fields });
  e.shown = true;
  return e;
}

/** A tap/input event as WeChat delivers it to a page handler. */
function ev(dataset, detail) {
  return { currentTarget: { dataset: dataset || {} }, target: { dataset: dataset || {} }, detail: detail || {} };
}

module.exports = { createPage, flush, fakeApp, apiError, ev, SRC };
