const rewards = require('../../../services/rewards');
const pointsService = require('../../../services/points');
const { ListController, emptyList } = require('../../../utils/list');
const { formatPoints } = require('../../../utils/format');
const careBehavior = require('../../../behaviors/care');

function decorate(item) {
  return Object.assign({}, item, { priceText: String(formatPoints(item.price)) });
}

Page({
  behaviors: [careBehavior],
  data: {
    list: emptyList(),
    balanceText: '',
    expiryNotice: ''
  },

  onLoad() {
    this.list = new ListController(this, 'list', (p) => rewards.listRewards({ cursor: p.cursor || undefined, limit: p.limit }), { map: decorate });
    return this.load();
  },

  onShow() {
    // back from redeeming: the balance and the stock have moved
    if (this.list && this.data.list.loaded) return this.load();
  },

  async load() {
    await Promise.all([this.list.refresh(), this.loadPoints()]);
  },

  async loadPoints() {
    try {
      const s = await pointsService.getMyPoints();
      this.setData({ balanceText: String(formatPoints(s.points_balance)), expiryNotice: s.expiry_notice || '' });
    } catch (e) {
      this.setData({ balanceText: '' });
    }
  },

  onPullDownRefresh() {
    return this.load();
  },

  onReachBottom() {
    return this.list.loadMore();
  },

  onRetry() {
    return this.list.refresh();
  },

  onOpen(e) {
    wx.navigateTo({ url: '/pkg-reward/pages/item/item?id=' + e.currentTarget.dataset.id });
  },

  onMine() {
    wx.navigateTo({ url: '/pkg-reward/pages/redemptions/redemptions' });
  }
});
