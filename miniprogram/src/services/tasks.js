const { request } = require('../utils/request');

/** GET /task-hall?offset=&limit= → {items: [order (+distance_km)], next_offset} */
function listTaskHall(query) {
  return request({ method: 'GET', path: '/task-hall', query });
}

module.exports = { listTaskHall };
