const ordersService = require('../../services/orders');
const listBehavior = require('../../behaviors/list');
const { orderTabs } = require('../../utils/format');
const badge = require('../../utils/badge');
const careBehavior = require('../../behaviors/care');

const TABS = orderTabs('mine');

Page({
  behaviors: [listBehavior, careBehavior],

  data: {
    tabs: TABS,
    status: ''
  },

  onLoad(query) {
    const status = query && query.status && TABS.some((t) => t.key === query.status) ? query.status : '';
    this.setData({ status });
    return this.initList((page) => ordersService.listOrders({ scope: 'mine', status: this.data.status, offset: page.offset, limit: page.limit }));
  },

  onShow() {
    // come back from detail / create: statuses may have changed
    this.refreshOnReturn();
    badge.refresh();
  },

  onSelect(e) {
    wx.navigateTo({ url: '/pages/order-detail/order-detail?id=' + encodeURIComponent(e.detail.id) });
  },

  onCreate() {
    wx.navigateTo({ url: '/pages/order-create/order-create' });
  }
});
