const { request } = require('../utils/request');

/** GET /service-categories → {items: [category]} */
function listCategories() {
  return request({ method: 'GET', path: '/service-categories' });
}

module.exports = { listCategories };
