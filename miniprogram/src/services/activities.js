const { request } = require('../utils/request');
const { pageQuery } = require('../utils/list');

/** GET /activities?org_id=&kind=&near=lng,lat&cursor=&limit= → {items, next_cursor} */
function listActivities(query) {
  return request({ method: 'GET', path: '/activities', query: pageQuery(query) });
}

/** POST /activities (organisers) → activity */
function createActivity(data) {
  return request({ method: 'POST', path: '/activities', data });
}

/** GET /activities/{id} → activity (places_left, my_signup, actions) */
function getActivity(id) {
  return request({ method: 'GET', path: '/activities/{id}', params: { id } });
}

/** POST /activities/{id}/publish (organisers) */
function publishActivity(id) {
  return request({ method: 'POST', path: '/activities/{id}/publish', params: { id }, data: {} });
}

/** POST /activities/{id}/signup → {signup, activity} */
function signUp(id) {
  return request({ method: 'POST', path: '/activities/{id}/signup', params: { id }, data: {} });
}

/** DELETE /activities/{id}/signup → {signup, activity} */
function cancelSignup(id) {
  return request({ method: 'DELETE', path: '/activities/{id}/signup', params: { id } });
}

/** GET /activities/{id}/qr?direction=in|out (organisers) → {token, image, expires_at} */
function getQr(id, query) {
  return request({ method: 'GET', path: '/activities/{id}/qr', params: { id }, query });
}

/** POST /activities/{id}/checkin {token, location, accuracy} → sign-up */
function checkIn(id, data) {
  return request({ method: 'POST', path: '/activities/{id}/checkin', params: { id }, data });
}

/** POST /activities/{id}/checkout {token, location, accuracy} → sign-up */
function checkOut(id, data) {
  return request({ method: 'POST', path: '/activities/{id}/checkout', params: { id }, data });
}

/** GET /activities/{id}/attendance (organisers) → {activity, items} */
function getAttendance(id) {
  return request({ method: 'GET', path: '/activities/{id}/attendance', params: { id } });
}

/** POST /activities/{id}/settle (organisers) → activity */
function settle(id) {
  return request({ method: 'POST', path: '/activities/{id}/settle', params: { id }, data: {} });
}

/** GET /me/activities?when=upcoming|past → {items: [{activity, signup}], next_cursor} */
function myActivities(query) {
  return request({ method: 'GET', path: '/me/activities', query: pageQuery(query) });
}

module.exports = {
  listActivities,
  createActivity,
  getActivity,
  publishActivity,
  signUp,
  cancelSignup,
  getQr,
  checkIn,
  checkOut,
  getAttendance,
  settle,
  myActivities
};
