const { request } = require('../utils/request');
const { pageQuery } = require('../utils/list');

/** GET /wishes?scope=wall|mine|claimed|org&org_id=&status=&cursor=&limit= → {items, next_offset} */
function listWishes(query) {
  return request({ method: 'GET', path: '/wishes', query: pageQuery(query) });
}

/** POST /wishes {org_id, category, title, description, value, photos?} → 201 wish */
function postWish(body) {
  return request({ method: 'POST', path: '/wishes', data: body });
}

/** GET /wishes/{id} → wish (contact only for the poster, and the claimant while open) */
function getWish(id) {
  return request({ method: 'GET', path: '/wishes/{id}', params: { id } });
}

/** POST /wishes/{id}/claim {} (members; exactly one wins, others get 409) */
function claimWish(id) {
  return request({ method: 'POST', path: '/wishes/{id}/claim', params: { id }, data: {} });
}

/** POST /wishes/{id}/release {reason} */
function releaseWish(id, reason) {
  return request({ method: 'POST', path: '/wishes/{id}/release', params: { id }, data: { reason } });
}

/** POST /wishes/{id}/fulfil {note, photos?} */
function fulfilWish(id, body) {
  return request({ method: 'POST', path: '/wishes/{id}/fulfil', params: { id }, data: body });
}

/** POST /wishes/{id}/confirm {thanks?} (the poster; points go to the member) */
function confirmWish(id, thanks) {
  return request({ method: 'POST', path: '/wishes/{id}/confirm', params: { id }, data: { thanks: thanks || '' } });
}

module.exports = { listWishes, postWish, getWish, claimWish, releaseWish, fulfilWish, confirmWish };
