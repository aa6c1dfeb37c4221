const { request } = require('../utils/request');

/**
 * GET /me/record?from=YYYY-MM-DD&to=YYYY-MM-DD → {member, period, totals, months, orders,
 * community_service, honours, sections} (my service record; default the last 12 months)
 */
function getMyRecord(query) {
  const q = query && typeof query === 'object' ? { from: query.from, to: query.to } : {};
  return request({ method: 'GET', path: '/me/record', query: q });
}

/** GET /honours?org_id=&limit= → {items: [{title, month, org_name, members}]} (the confirmed honour roll of a node and below) */
function listHonours(orgId, limit) {
  return request({ method: 'GET', path: '/honours', query: { org_id: orgId, limit: limit || 20 } });
}

module.exports = { getMyRecord, listHonours };
