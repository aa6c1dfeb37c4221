const recordsService = require('../../../services/records');
const { orgIndex, monthText, numberText } = require('../../utils');
const careBehavior = require('../../../behaviors/care');

const SCOPE_TYPES = [
  { type: 'community', text: '本社区' },
  { type: 'street', text: '本街道' },
  { type: 'district', text: '本区' }
];

/** The scopes a person can look at: the community, street and district above their organisation. */
function scopesFor(user, byId, roots) {
  const out = [];
  for (let n = user && user.org_id ? byId[user.org_id] : null; n; n = byId[n.parent_id]) {
    const s = SCOPE_TYPES.find((x) => x.type === n.type);
    if (s) out.push({ key: n.id, text: s.text, name: n.name });
  }
  if (!out.length && roots.length) out.push({ key: roots[0].id, text: roots[0].name, name: roots[0].name });
  return out;
}

function decorate(h) {
  return Object.assign({}, h, {
    monthText: monthText(h.month),
    star: h.title === '党员之星',
    people: (h.members || []).map((m, i) => ({ key: m.member_id + i, name: m.name, initial: (m.name || '同')[0], hoursText: numberText(m.hours) }))
  });
}

/** 荣誉榜: the confirmed 服务标兵 and 党员之星 of the month, for the community, street or district. */
Page({
  behaviors: [careBehavior],

  data: { scopes: [], scope: '', loading: true, error: '', items: [], scopeName: '' },

  async onLoad() {
    this.setData({ loading: true, error: '' });
    try {
      const user = await getApp().ready();
      const { byId, roots } = await orgIndex();
      const scopes = scopesFor(user, byId, roots);
      this.setData({ scopes, scope: scopes.length ? scopes[0].key : '' });
    } catch (e) {
      // no tree: nothing to choose from; the list says so
    }
    return this.load();
  },

  onPullDownRefresh() {
    return this.load().then(() => wx.stopPullDownRefresh());
  },

  async load() {
    const scope = this.data.scopes.find((s) => s.key === this.data.scope);
    if (!scope) {
      this.setData({ loading: false, items: [], error: '' });
      return;
    }
    const seq = (this.seq = (this.seq || 0) + 1);
    this.setData({ loading: true, error: '', scopeName: scope.name });
    try {
      const res = (await recordsService.listHonours(scope.key, 20)) || {};
      if (seq !== this.seq) return;
      this.setData({ loading: false, items: (res.items || []).map(decorate) });
    } catch (e) {
      if (seq !== this.seq) return;
      this.setData({ loading: false, items: [], error: (e && e.message) || '加载失败' });
    }
  },

  onScope(e) {
    const scope = e.currentTarget.dataset.key;
    if (scope === this.data.scope) return undefined;
    this.setData({ scope });
    return this.load();
  },

  onRetry() {
    return this.load();
  }
});
