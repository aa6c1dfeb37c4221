const { request } = require('../utils/request');

/** GET /task-hall?offset=&limit= → {items: [order (+distance_km)], next_offset} */
function listTaskHall(query, opts) {
  return request({ method: 'GET', path: '/task-hall', query, silent: !!(opts && opts.silent) });
}

module.exports = { listTaskHall };
