const { request } = require('../utils/request');
const { pageQuery } = require('../utils/list');

/**
 * POST /orders → 201 order.
 * idempotencyKey: one uuid per submit attempt, reused when the same submission is retried.
 */
function createOrder(body, idempotencyKey) {
  return request({
    method: 'POST',
    path: '/orders',
    data: body,
    header: { 'Idempotency-Key': idempotencyKey }
  });
}

/**
 * GET /orders?status=&scope=mine|assigned|org&cursor=&limit= → {items, next_cursor}.
 * opts.silent: no error toast (for counts and hints that the page can do without).
 */
function listOrders(query, opts) {
  return request({ method: 'GET', path: '/orders', query: pageQuery(query), silent: !!(opts && opts.silent) });
}

/** GET /orders/{id} → order with timeline */
function getOrder(id) {
  return request({ method: 'GET', path: '/orders/{id}', params: { id } });
}

/**
 * GET /orders/{id}/timeline?cursor=&limit= → {items (newest first, each with seq), next_cursor,
 * timeline_total, timeline_archived}: the whole history, the archived older events included.
 */
function getOrderTimeline(id, query) {
  return request({ method: 'GET', path: '/orders/{id}/timeline', params: { id }, query: pageQuery(query) });
}

/**
 * GET /orders/{id}/by-slip?token= → order: the paper slip's QR opened by its volunteer
 * (pages/order-detail/order-detail?id=&slip=); anyone else gets 404.
 */
function getOrderBySlip(id, token) {
  return request({ method: 'GET', path: '/orders/{id}/by-slip', params: { id }, query: { token } });
}

/** POST /orders/{id}/dispatch {volunteer_ids?, to_hall?, due_at, note?} */
function dispatchOrder(id, body) {
  return request({ method: 'POST', path: '/orders/{id}/dispatch', params: { id }, data: body });
}

/** POST /orders/{id}/accept {} */
function acceptOrder(id) {
  return request({ method: 'POST', path: '/orders/{id}/accept', params: { id }, data: {} });
}

/** POST /orders/{id}/decline {reason} */
function declineOrder(id, reason) {
  return request({ method: 'POST', path: '/orders/{id}/decline', params: { id }, data: { reason } });
}

/** POST /orders/{id}/start {} */
function startOrder(id) {
  return request({ method: 'POST', path: '/orders/{id}/start', params: { id }, data: {} });
}

/** POST /orders/{id}/complete {note, photos?} */
function completeOrder(id, body) {
  return request({ method: 'POST', path: '/orders/{id}/complete', params: { id }, data: body });
}

/** POST /orders/{id}/confirm {rating 1-5, comment?} */
function confirmOrder(id, body) {
  return request({ method: 'POST', path: '/orders/{id}/confirm', params: { id }, data: body });
}

/** POST /orders/{id}/cancel {reason?} */
function cancelOrder(id, reason) {
  return request({ method: 'POST', path: '/orders/{id}/cancel', params: { id }, data: reason ? { reason } : {} });
}

/** POST /orders/{id}/reject {reason} */
function rejectOrder(id, reason) {
  return request({ method: 'POST', path: '/orders/{id}/reject', params: { id }, data: { reason } });
}

/** GET /orders/{id}/recommendations → {items: [{member, score, reasons}]} */
function getRecommendations(id) {
  return request({ method: 'GET', path: '/orders/{id}/recommendations', params: { id } });
}

module.exports = {
  createOrder,
  listOrders,
  getOrder,
  getOrderTimeline,
  getOrderBySlip,
  dispatchOrder,
  acceptOrder,
  declineOrder,
  startOrder,
  completeOrder,
  confirmOrder,
  cancelOrder,
  rejectOrder,
  getRecommendations
};
