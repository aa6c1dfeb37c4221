const { request } = require('../utils/request');
const { pageQuery } = require('../utils/list');

/** GET /task-hall?cursor=&limit= → {items: [order (+distance_km)], next_cursor} */
function listTaskHall(query, opts) {
  return request({ method: 'GET', path: '/task-hall', query: pageQuery(query), silent: !!(opts && opts.silent) });
}

module.exports = { listTaskHall };
