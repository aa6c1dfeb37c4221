const ordersService = require('../../../services/orders');
const listBehavior = require('../../../behaviors/list');
const { orderTabs } = require('../../../utils/format');
const careBehavior = require('../../../behaviors/care');

Page({
  behaviors: [listBehavior, careBehavior],

  data: {
    tabs: orderTabs('org'),
    status: 'submitted'
  },

  onLoad() {
    return this.initList((p) => ordersService.listOrders({ scope: 'org', status: this.data.status, offset: p.offset, limit: p.limit }));
  },

  onShow() {
    this.refreshOnReturn();
  },

  onSelect(e) {
    const id = encodeURIComponent(e.detail.id);
    if (this.data.status === 'submitted') wx.navigateTo({ url: '/pkg-secretary/pages/dispatch-detail/dispatch-detail?id=' + id });
    else wx.navigateTo({ url: '/pages/order-detail/order-detail?id=' + id });
  }
});
