const { request } = require('../utils/request');
const { pageQuery } = require('../utils/list');

/** GET /community-reports?status=&cursor=&limit= → {items, next_cursor} (mine; staff: their communities and unit branches) */
function listReports(query) {
  return request({ method: 'GET', path: '/community-reports', query: pageQuery(query) });
}

/** POST /community-reports {community_id, post_ids, note} → 201 report (双报到, members of unit branches) */
function createReport(body) {
  return request({ method: 'POST', path: '/community-reports', data: body });
}

/** POST /community-reports/{id}/confirm {} (community staff) */
function confirmReport(id) {
  return request({ method: 'POST', path: '/community-reports/{id}/confirm', params: { id }, data: {} });
}

/** POST /community-reports/{id}/decline {reason} (community staff) */
function declineReport(id, reason) {
  return request({ method: 'POST', path: '/community-reports/{id}/decline', params: { id }, data: { reason } });
}

/** POST /community-reports/{id}/end {reason?} (the member moving house, or the community) */
function endReport(id, reason) {
  return request({ method: 'POST', path: '/community-reports/{id}/end', params: { id }, data: reason ? { reason } : {} });
}

/** GET /orgs/{id}/posts → {items: [{id, name, description, active}]} (a community's service posts) */
function listPosts(communityId) {
  return request({ method: 'GET', path: '/orgs/{id}/posts', params: { id: communityId } });
}

module.exports = { listReports, createReport, confirmReport, declineReport, endReport, listPosts };
