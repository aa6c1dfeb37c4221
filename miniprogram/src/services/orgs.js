const { request } = require('../utils/request');

/** GET /orgs → {items: tree}. opts.silent: no error toast. */
function getOrgTree(opts) {
  return request({ method: 'GET', path: '/orgs', silent: !!(opts && opts.silent) });
}

/** GET /orgs?parent=<id> → {items: [org with has_children]}; without parent: the roots visible to the caller */
function listOrgChildren(parentId) {
  return request({ method: 'GET', path: '/orgs', query: { parent: parentId } });
}

module.exports = { getOrgTree, listOrgChildren };
