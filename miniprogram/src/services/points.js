const { request } = require('../utils/request');
const { pageQuery } = require('../utils/list');

/** GET /me/points → {points_balance, hours_balance, rank, rank_total, org_id, org_name} */
function getMyPoints() {
  return request({ method: 'GET', path: '/me/points' });
}

/** GET /me/ledger?kind=points|hours&cursor=&limit= → {items, next_cursor} */
function listLedger(query) {
  return request({ method: 'GET', path: '/me/ledger', query: pageQuery(query) });
}

/** GET /leaderboard?org_id=&period=month|year|all → {period, items} */
function getLeaderboard(query) {
  return request({ method: 'GET', path: '/leaderboard', query });
}

module.exports = { getMyPoints, listLedger, getLeaderboard };
