const { request } = require('../utils/request');

/** GET /orgs → {items: tree} */
function getOrgTree() {
  return request({ method: 'GET', path: '/orgs' });
}

/** GET /orgs?parent=<id> → {items: [org with has_children]}; without parent: the roots visible to the caller */
function listOrgChildren(parentId) {
  return request({ method: 'GET', path: '/orgs', query: { parent: parentId } });
}

module.exports = { getOrgTree, listOrgChildren };
