/**
 * WeChat subscribe-message consent (订阅消息).
 *
 * The server decides which templates exist: GET /subscriptions lists their ids; the list is fetched
 * once per session (prefetch() on the pages where the user acts) and kept in memory.
 *
 * ask() must be called synchronously from the user's tap (or a showModal success callback):
 * WeChat only opens the consent dialog inside a user gesture, so it never waits for the network.
 * When the ids are not known yet it starts the fetch and skips this time.
 * The ids the user accepted ('accept' only) are reported with POST /subscriptions and an
 * Idempotency-Key, in the background; every failure is silent and nothing here ever blocks the action.
 * A page that navigates away right after the action waits for the answer first (answered()): leaving
 * the page while the consent dialog is open would dismiss it.
 */
const notificationsService = require('../services/notifications');
const { uuid4 } = require('./uuid');

// wx.requestSubscribeMessage takes at most 3 one-time templates per call
const MAX_TEMPLATES = 3;

const options = { retryDelayMs: 2000, answerTimeoutMs: 60000 };

let templateIds = null; // null: not fetched yet; []: the server has none configured
let fetching = null;
const reports = [];

function idsFrom(res) {
  const items = (res && Array.isArray(res.items) && res.items) || [];
  const ids = [];
  items.forEach((q) => {
    const id = q && typeof q.template_id === 'string' ? q.template_id.trim() : '';
    if (id && ids.indexOf(id) < 0) ids.push(id);
  });
  return ids;
}

/** Fetches the template ids once per session. Resolves the ids ([] on failure; the next call tries again). */
function prefetch() {
  if (templateIds) return Promise.resolve(templateIds);
  if (fetching) return fetching;
  fetching = Promise.resolve()
    .then(() => notificationsService.getSubscriptions())
    .then((res) => {
      templateIds = idsFrom(res);
      return templateIds;
    })
    .catch(() => [])
    .then((ids) => {
      fetching = null;
      return ids;
    });
  return fetching;
}

function isTransient(err) {
  const status = err && typeof err.status === 'number' ? err.status : 0;
  return status === 0 || status === 429 || status >= 500;
}

function wait(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** POST /subscriptions with one key; one retry with the same key after a network or server failure. */
function report(accepted) {
  const key = uuid4();
  const send = () => Promise.resolve().then(() => notificationsService.reportSubscriptions(accepted, key));
  return send()
    .catch((err) => {
      if (!isTransient(err)) throw err;
      return wait(options.retryDelayMs).then(send);
    })
    .then(
      () => true,
      () => false
    );
}

function track(p) {
  reports.push(p);
  p.then(() => reports.splice(reports.indexOf(p), 1));
}

/**
 * Opens the consent dialog for the server's templates. Resolves the accepted ids as soon as the
 * user has answered ([] when nothing was asked, refused or failed); the report runs on in the
 * background (settled()). Never rejects.
 */
function ask() {
  if (!templateIds) {
    prefetch();
    return Promise.resolve([]);
  }
  const ids = templateIds.slice(0, MAX_TEMPLATES);
  if (!ids.length || typeof wx === 'undefined' || typeof wx.requestSubscribeMessage !== 'function') {
    return Promise.resolve([]);
  }
  return new Promise((resolve) => {
    const done = (res) => {
      const accepted = ids.filter((id) => res && res[id] === 'accept');
      if (accepted.length) track(report(accepted));
      resolve(accepted);
    };
    try {
      wx.requestSubscribeMessage({
        tmplIds: ids,
        success: done,
        fail: () => resolve([])
      });
    } catch (e) {
      resolve([]);
    }
  });
}

/** Resolves when the reports in flight are done (true / false each). */
function settled() {
  return Promise.all(reports.slice());
}

/** The answer of ask(), or [] after answerTimeoutMs: for waiting before leaving the page. */
function answered(consent) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve([]), options.answerTimeoutMs);
    Promise.resolve(consent).then((ids) => {
      clearTimeout(timer);
      resolve(ids || []);
    });
  });
}

/** Forgets the cached ids (logout, account erased). */
function reset() {
  templateIds = null;
  fetching = null;
}

module.exports = { prefetch, ask, answered, settled, reset, options, MAX_TEMPLATES };
