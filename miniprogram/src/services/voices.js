const { request } = require('../utils/request');
const { pageQuery } = require('../utils/list');

/** GET /voices?scope=mine|assigned|scope&status=&cursor=&limit= → {items, next_offset} */
function listVoices(query) {
  return request({ method: 'GET', path: '/voices', query: pageQuery(query) });
}

/** POST /voices {kind, category, text, anonymous?, org_id | scene} → 201 voice */
function submitVoice(body) {
  return request({ method: 'POST', path: '/voices', data: body });
}

/** GET /voices/{id} → voice with its timeline */
function getVoice(id) {
  return request({ method: 'GET', path: '/voices/{id}', params: { id } });
}

/** POST /voices/{id}/reply {text, public} (the handler) */
function replyVoice(id, body) {
  return request({ method: 'POST', path: '/voices/{id}/reply', params: { id }, data: body });
}

/** POST /voices/{id}/accept {} (staff of the node in charge) */
function acceptVoice(id) {
  return request({ method: 'POST', path: '/voices/{id}/accept', params: { id }, data: {} });
}

/** POST /voices/{id}/rate {rating: 满意|基本满意|不满意, comment?} */
function rateVoice(id, body) {
  return request({ method: 'POST', path: '/voices/{id}/rate', params: { id }, data: body });
}

/** GET /followups/{id} → the "still solved?" question */
function getFollowup(id) {
  return request({ method: 'GET', path: '/followups/{id}', params: { id } });
}

/** POST /followups/{id} {solved, note?} → "no" reopens the item */
function answerFollowup(id, body) {
  return request({ method: 'POST', path: '/followups/{id}', params: { id }, data: body });
}

module.exports = { listVoices, submitVoice, getVoice, replyVoice, acceptVoice, rateVoice, getFollowup, answerFollowup };
