const { request } = require('../utils/request');

/** GET /rewards?org_id=&scope=mall|managed&cursor=&limit= → {items: [item], next_cursor} (my mall) */
function listRewards(query) {
  return request({ method: 'GET', path: '/rewards', query });
}

/** GET /rewards/{id} → item (price, stock, sold_out, status_text, pickup_place, …) */
function getReward(id) {
  return request({ method: 'GET', path: '/rewards/{id}', params: { id } });
}

/**
 * POST /rewards/{id}/redeem → 201 redemption {code, qr, …} (200: the same request again).
 * idempotencyKey: one uuid per confirmed redeem, reused when that request is retried.
 */
function redeemReward(id, idempotencyKey) {
  return request({
    method: 'POST',
    path: '/rewards/{id}/redeem',
    params: { id },
    data: {},
    header: { 'Idempotency-Key': idempotencyKey }
  });
}

/** GET /redemptions?scope=mine|org&status=&cursor=&limit= → {items: [redemption], next_cursor} */
function listRedemptions(query) {
  return request({ method: 'GET', path: '/redemptions', query });
}

/** POST /redemptions/{id}/cancel → redemption (points and stock given back) */
function cancelRedemption(id) {
  return request({ method: 'POST', path: '/redemptions/{id}/cancel', params: { id }, data: {} });
}

/** POST /redemptions/pickup {code} → redemption (核销; staff or a merchant of the node) */
function pickupRedemption(code) {
  return request({ method: 'POST', path: '/redemptions/pickup', data: { code: String(code) } });
}

module.exports = { listRewards, getReward, redeemReward, listRedemptions, cancelRedemption, pickupRedemption };
