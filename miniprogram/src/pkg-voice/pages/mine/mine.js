const voicesService = require('../../../services/voices');
const { ListController, emptyList } = require('../../../utils/list');
const careBehavior = require('../../../behaviors/care');

/** My submissions (scope=mine), newest first; each opens with its timeline. */
Page({
  behaviors: [careBehavior],
  data: { list: emptyList() },

  onLoad() {
    this.list = new ListController(this, 'list', (p) => voicesService.listVoices({ scope: 'mine', offset: p.offset, limit: p.limit }));
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

  onOpen(e) {
    wx.navigateTo({ url: '/pkg-voice/pages/detail/detail?id=' + encodeURIComponent(e.currentTarget.dataset.id) });
  },

  onNew() {
    wx.navigateTo({ url: '/pkg-voice/pages/submit/submit' });
  }
});
