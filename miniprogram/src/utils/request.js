/**
 * The only place that calls wx.request.
 *
 * request({ method, path, params, query, data, header, auth, silent }) → Promise<body>
 *  - path is a template such as '/orders/{id}/accept'; {name} is filled from params.
 *  - Adds `Authorization: Bearer <token>`.
 *  - On 401: exactly one silent re-login, then the same request is sent once more.
 *  - On failure: shows a Chinese toast (the API's error.message, or a fixed text by status)
 *    unless `silent`, and rejects with an ApiError (never a raw object for display).
 */
const config = require('../config/index');
const storage = require('./storage');

const NETWORK_MESSAGE = '网络不可用，请稍后重试';

const STATUS_MESSAGES = {
  400: '提交的信息有误，请检查后重试',
  401: '登录已失效，请重新进入小程序',
  403: '没有权限进行此操作',
  404: '内容不存在或已被删除',
  409: '状态已发生变化，请刷新后重试',
  413: '内容过大，请精简后重试',
  422: '暂时无法处理该请求',
  429: '操作太频繁，请稍后再试',
  503: '服务暂不可用，请稍后重试'
};
const DEFAULT_MESSAGE = '服务开小差了，请稍后重试';

class ApiError extends Error {
  constructor(opts) {
    super(opts.message);
    this.name = 'ApiError';
    this.status = opts.status || 0;
    this.code = opts.code || 'unknown_error';
    this.fields = opts.fields || {};
    this.shown = false;
  }
}

// Only a short string that contains Chinese is shown as is; anything else gets a fixed text.
function isChineseText(s) {
  return typeof s === 'string' && s.trim().length > 0 && s.length <= 200 && /[\u4e00-\u9fa5]/.test(s);
}

function messageFor(status, body) {
  const err = body && typeof body === 'object' ? body.error : null;
  if (err && isChineseText(err.message)) return err.message.trim();
  return STATUS_MESSAGES[status] || DEFAULT_MESSAGE;
}

function toApiError(status, body) {
  const err = body && typeof body === 'object' && body.error && typeof body.error === 'object' ? body.error : {};
  const fields = {};
  if (err.fields && typeof err.fields === 'object') {
    Object.keys(err.fields).forEach((k) => {
      const v = err.fields[k];
      fields[k] = Array.isArray(v) ? v.join('；') : String(v);
    });
  }
  return new ApiError({
    status,
    code: typeof err.code === 'string' ? err.code : 'http_' + status,
    message: messageFor(status, body),
    fields
  });
}

function fillPath(template, params) {
  return template.replace(/\{(\w+)\}/g, (m, name) => {
    const v = params ? params[name] : undefined;
    if (v === undefined || v === null || v === '') {
      throw new Error('missing path parameter: ' + name);
    }
    return encodeURIComponent(String(v));
  });
}

function buildQuery(query) {
  if (!query) return '';
  const parts = [];
  Object.keys(query).forEach((k) => {
    const v = query[k];
    if (v === undefined || v === null || v === '') return;
    parts.push(encodeURIComponent(k) + '=' + encodeURIComponent(String(v)));
  });
  return parts.length ? '?' + parts.join('&') : '';
}

function buildUrl(opts) {
  return config.apiBase + config.apiPrefix + fillPath(opts.path, opts.params) + buildQuery(opts.query);
}

function showError(err) {
  if (err.shown) return;
  err.shown = true;
  try {
    wx.showToast({ title: err.message, icon: 'none', duration: 2500 });
  } catch (e) {
    // toast is best effort
  }
}

function send(opts) {
  return new Promise((resolve, reject) => {
    const header = Object.assign({ 'Content-Type': 'application/json' }, opts.header || {});
    const token = storage.getToken();
    if (opts.auth !== false && token) header.Authorization = 'Bearer ' + token;
    wx.request({
      url: buildUrl(opts),
      method: opts.method || 'GET',
      data: opts.data === undefined ? undefined : opts.data,
      header,
      timeout: opts.timeout || 15000,
      success(res) {
        resolve({ status: res.statusCode, body: res.data });
      },
      fail() {
        reject(new ApiError({ status: 0, code: 'network_error', message: NETWORK_MESSAGE }));
      }
    });
  });
}

// utils/auth requires services/auth which requires this module: resolve it lazily.
function auth() {
  return require('./auth');
}

async function request(opts) {
  const silent = !!opts.silent;
  try {
    if (opts.auth !== false && !storage.getToken()) {
      await auth().login();
    }
    let res = await send(opts);
    if (res.status === 401 && opts.auth !== false) {
      // exactly one silent re-login, then one retry
      await auth().relogin();
      res = await send(opts);
      if (res.status === 401) {
        storage.clearSession();
      }
    }
    if (res.status >= 200 && res.status < 300) {
      return res.body === '' || res.body === undefined ? {} : res.body;
    }
    throw toApiError(res.status, res.body);
  } catch (e) {
    const err = e instanceof ApiError ? e : new ApiError({ status: 0, code: 'client_error', message: DEFAULT_MESSAGE });
    if (e && e.shown) err.shown = true;
    if (!silent) showError(err);
    throw err;
  }
}

module.exports = {
  request,
  ApiError,
  buildUrl,
  fillPath,
  buildQuery,
  messageFor,
  NETWORK_MESSAGE
};
