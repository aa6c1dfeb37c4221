const activitiesService = require('../../../services/activities');
const { ListController, emptyList } = require('../../../utils/list');
const { decorate } = require('../../utils');
const careBehavior = require('../../../behaviors/care');

Page({
  behaviors: [careBehavior],
  data: { when: 'upcoming', list: emptyList() },

  onLoad() {
    this.list = new ListController(
      this,
      'list',
      (p) => activitiesService.myActivities({ when: this.data.when, offset: p.offset, limit: p.limit }),
      { map: (item) => Object.assign(decorate(item.activity), { signup: item.signup }) }
    );
    this.list.refresh();
  },

  onPullDownRefresh() {
    return this.list.refresh();
  },

  onReachBottom() {
    return this.list.loadMore();
  },

  onTab(e) {
    const when = e.currentTarget.dataset.when;
    if (when === this.data.when) return;
    this.setData({ when });
    return this.list.refresh();
  },

  onSelect(e) {
    wx.navigateTo({ url: '/pkg-activity/pages/detail/detail?id=' + encodeURIComponent(e.detail.id) });
  }
});
