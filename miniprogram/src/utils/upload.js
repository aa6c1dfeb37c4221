/**
 * Photo uploads: the only place that calls wx.uploadFile.
 *
 * uploadImage(filePath, { onProgress, retries }) → Promise<{id, url, thumb_url, width, height, status}>
 *  - POST /api/v1/media as multipart/form-data (field `file`), with the Bearer token.
 *  - onProgress(percent) follows the upload task.
 *  - A network failure, 502/503 or a timeout is retried (1 s, 2 s, …) up to `retries` times;
 *    401 triggers one silent re-login and one more try.
 *  - A refused image (400 wrong type / broken file, 413 too large, 429 daily limit) rejects at
 *    once with an ApiError carrying the server's Chinese message, e.g. 只支持 JPG、PNG、WebP 格式的图片.
 * mediaUrl(path) makes a signed media path from the API absolute (for <image src>).
 */
const config = require('../config/index');
const storage = require('./storage');
const { ApiError, messageFor, NETWORK_MESSAGE } = require('./request');

const RETRYABLE = [0, 500, 502, 503, 504];

function mediaUrl(path) {
  if (!path) return '';
  return /^https?:\/\//.test(path) ? path : config.apiBase + path;
}

function withAbsoluteUrls(photo) {
  return Object.assign({}, photo, { url: mediaUrl(photo.url), thumb_url: mediaUrl(photo.thumb_url) });
}

function parse(data) {
  if (data && typeof data === 'object') return data;
  try {
    return JSON.parse(data);
  } catch (e) {
    return null;
  }
}

function sendOnce(filePath, onProgress) {
  return new Promise((resolve) => {
    const header = {};
    const token = storage.getToken();
    if (token) header.Authorization = 'Bearer ' + token;
    const task = wx.uploadFile({
      url: config.apiBase + config.apiPrefix + '/media',
      filePath,
      name: 'file',
      header,
      timeout: 60000,
      success(res) {
        resolve({ status: res.statusCode, body: parse(res.data) });
      },
      fail() {
        resolve({ status: 0, body: null });
      }
    });
    if (task && typeof task.onProgressUpdate === 'function' && onProgress) {
      task.onProgressUpdate((p) => onProgress(p.progress));
    }
  });
}

function wait(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function toError(status, body) {
  const err = body && body.error ? body.error : {};
  const fields = err.fields && typeof err.fields === 'object' ? err.fields : {};
  return new ApiError({
    status,
    code: typeof err.code === 'string' ? err.code : status ? 'http_' + status : 'network_error',
    message: status ? messageFor(status, body) : NETWORK_MESSAGE,
    fields
  });
}

async function uploadImage(filePath, opts) {
  const options = opts || {};
  const retries = options.retries === undefined ? 2 : options.retries;
  const onProgress = options.onProgress || null;
  const delay = options.retryDelayMs === undefined ? 1000 : options.retryDelayMs;
  let relogged = false;
  for (let attempt = 0; ; attempt += 1) {
    if (onProgress) onProgress(0);
    const res = await sendOnce(filePath, onProgress);
    if (res.status === 201 || res.status === 200) {
      if (onProgress) onProgress(100);
      return withAbsoluteUrls(res.body || {});
    }
    if (res.status === 401 && !relogged) {
      relogged = true;
      await require('./auth').relogin();
      attempt -= 1;
      continue;
    }
    if (RETRYABLE.indexOf(res.status) >= 0 && attempt < retries) {
      await wait(delay * Math.pow(2, attempt));
      continue;
    }
    throw toError(res.status, res.body);
  }
}

module.exports = { uploadImage, mediaUrl, withAbsoluteUrls };
