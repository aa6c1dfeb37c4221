const { request } = require('../utils/request');
const { pageQuery } = require('../utils/list');

/** GET /notifications?unread=&cursor=&limit= → {items: [notification], next_cursor} (unread first, newest first) */
function listNotifications(query) {
  return request({ method: 'GET', path: '/notifications', query: pageQuery(query) });
}

/** GET /notifications/unread-count → {count}. Silent: it only feeds badges. */
function getUnreadCount() {
  return request({ method: 'GET', path: '/notifications/unread-count', silent: true });
}

/** POST /notifications/read {ids} → {updated, unread}. Silent: marking read never interrupts the user. */
function markRead(ids) {
  const list = (Array.isArray(ids) ? ids : [ids]).map(String).slice(0, 100);
  return request({ method: 'POST', path: '/notifications/read', data: { ids: list }, silent: true });
}

/** POST /notifications/read {all: true} → {updated, unread} */
function markAllRead() {
  return request({ method: 'POST', path: '/notifications/read', data: { all: true } });
}

/** GET /subscriptions → {items: [{template, template_name, template_id, remaining}]} (configured templates only) */
function getSubscriptions() {
  return request({ method: 'GET', path: '/subscriptions', silent: true });
}

/**
 * POST /subscriptions {template_ids} (the ids the user accepted) → {items: quotas}.
 * idempotencyKey: one per consent, reused when the report is retried.
 */
function reportSubscriptions(templateIds, idempotencyKey) {
  const ids = (Array.isArray(templateIds) ? templateIds : [templateIds]).map(String).slice(0, 10);
  return request({
    method: 'POST',
    path: '/subscriptions',
    data: { template_ids: ids },
    header: { 'Idempotency-Key': idempotencyKey },
    silent: true
  });
}

module.exports = { listNotifications, getUnreadCount, markRead, markAllRead, getSubscriptions, reportSubscriptions };
