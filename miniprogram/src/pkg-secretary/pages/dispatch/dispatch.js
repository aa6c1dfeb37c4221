const ordersService = require('../../../services/orders');
const { ListController, emptyList } = require('../../../utils/list');

const TABS = [
  { key: 'submitted', text: '待派单' },
  { key: 'dispatched', text: '待接单' },
  { key: 'in_service', text: '服务中' }
];

Page({
  data: {
    tabs: TABS,
    status: 'submitted',
    list: emptyList()
  },

  onLoad() {
    this.list = new ListController(this, 'list', (p) =>
      ordersService.listOrders({ scope: 'org', status: this.data.status, offset: p.offset, limit: p.limit })
    );
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
    const status = e.currentTarget.dataset.key;
    if (status === this.data.status) return;
    this.setData({ status, list: emptyList() });
    return this.list.refresh();
  },

  onRetry() {
    return this.list.refresh();
  },

  onMore() {
    return this.list.loadMore();
  },

  onSelect(e) {
    const id = encodeURIComponent(e.detail.id);
    if (this.data.status === 'submitted') wx.navigateTo({ url: '/pkg-secretary/pages/dispatch-detail/dispatch-detail?id=' + id });
    else wx.navigateTo({ url: '/pages/order-detail/order-detail?id=' + id });
  }
});
