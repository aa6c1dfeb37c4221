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

/** Forgets the tree (tests; after a logout the next visit loads it again). */
function reset() {
  loading = null;
}

module.exports = { communities, reset };
