/**
 * The community (社区) an organisation node belongs to, from the tree GET /orgs answers, loaded
 * once per session: the task hall names the community of an order before anyone takes it (the
 * address is only shown after accepting).
 */
const orgsService = require('../services/orgs');

let loading = null;

function index(tree) {
  const byId = {};
  const walk = (nodes) =>
    (nodes || []).forEach((n) => {
      byId[n.id] = n;
      walk(n.children);
    });
  walk(tree);
  return byId;
}

/** Resolves {orgId: community name} lookups; an unknown node or a failed load gives ''. */
function communities() {
  if (!loading) {
    loading = Promise.resolve()
      .then(() => orgsService.getOrgTree({ silent: true }))
      .then((res) => index((res && res.items) || []))
      .catch(() => {
        loading = null;
        return {};
      });
  }
  return loading.then((byId) => (orgId) => {
    for (let n = byId[orgId]; n; n = byId[n.parent_id]) {
      if (n.type === 'community') return n.name;
    }
    return '';
  });
}

/**
 * Resolves (orgId) → {name, phone} of the nearest node at or above orgId that has a service phone
 * (a branch answers with its community's), or null: 打电话给社区 in care mode.
 */
function contacts() {
  communities(); // starts the one load of the tree
  return loading.then((byId) => (orgId) => {
    for (let n = byId[orgId]; n; n = byId[n.parent_id]) {
      if (n.phone) return { name: n.name, phone: n.phone };
    }
    return null;
  });
}

/** Forgets the tree (tests; after a logout the next visit loads it again). */
function reset() {
  loading = null;
}

module.exports = { communities, contacts, reset };
