const wishesService = require('../../../services/wishes');
const { ListController, emptyList } = require('../../../utils/list');
const { confirm, toast } = require('../../../utils/ui');
const careBehavior = require('../../../behaviors/care');

const TABS = [
  { scope: 'wall', name: '心愿墙' },
  { scope: 'mine', name: '我的心愿' },
  { scope: 'claimed', name: '我认领的' }
];

/** 心愿墙 (approved wishes, no resident's name or contact), my wishes, the ones I claimed. */
Page({
  behaviors: [careBehavior],
  data: { tabs: TABS, scope: 'wall', list: emptyList(), member: false, claimingId: '' },

  onLoad(query) {
    const scope = TABS.some((t) => t.scope === (query && query.scope)) ? query.scope : 'wall';
    const user = (getApp().globalData || {}).user;
    this.setData({ scope, member: !!(user && user.role === 'member') });
    this.list = new ListController(this, 'list', (p) => wishesService.listWishes({ scope: this.data.scope, offset: p.offset, limit: p.limit }));
    this.list.refresh();
  },

  onShow() {
    if (this.shownOnce) this.list.refresh();
    this.shownOnce = true;
  },

  onPullDownRefresh() {
    return this.list.refresh();
  },

  onReachBottom() {
    return this.list.loadMore();
  },

  onTab(e) {
    const scope = e.currentTarget.dataset.scope;
    if (scope === this.data.scope) return undefined;
    this.setData({ scope });
    return this.list.refresh();
  },

  onOpen(e) {
    wx.navigateTo({ url: '/pkg-wish/pages/detail/detail?id=' + encodeURIComponent(e.currentTarget.dataset.id) });
  },

  onPost() {
    wx.navigateTo({ url: '/pkg-wish/pages/post/post' });
  },

  async onClaim(e) {
    const id = e.currentTarget.dataset.id;
    if (this.data.claimingId) return;
    if (!(await confirm('认领心愿', '认领后请尽快帮助群众实现心愿，完成后可获得志愿积分'))) return;
    this.setData({ claimingId: id });
    try {
      await wishesService.claimWish(id);
      toast('认领成功', 'success');
      this.setData({ claimingId: '' });
      wx.navigateTo({ url: '/pkg-wish/pages/detail/detail?id=' + encodeURIComponent(id) });
    } catch (err) {
      this.setData({ claimingId: '' });
      if (err.status === 409 || err.status === 404) this.list.refresh();
    }
  }
});
