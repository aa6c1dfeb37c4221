const ordersService = require('../../services/orders');
const { ListController, emptyList } = require('../../utils/list');
const badge = require('../../utils/badge');

const TABS = [
  { key: '', text: '全部' },
  { key: 'submitted', text: '待派单' },
  { key: 'dispatched', text: '待接单' },
  { key: 'accepted', text: '已接单' },
  { key: 'in_service', text: '服务中' },
  { key: 'completed', text: '待确认' },
  { key: 'closed', text: '已完成' }
];

Page({
  data: {
    tabs: TABS,
    status: '',
    list: emptyList()
  },

  onLoad(query) {
    const status = query && query.status && TABS.some((t) => t.key === query.status) ? query.status : '';
    this.setData({ status });
    this.list = new ListController(this, 'list', (page) =>
      ordersService.listOrders({ scope: 'mine', status: this.data.status, offset: page.offset, limit: page.limit })
    );
    this.list.refresh();
  },

  onShow() {
    // come back from detail / create: statuses may have changed
    if (this.shownOnce) this.list.refresh();
    this.shownOnce = true;
    badge.refresh();
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
    wx.navigateTo({ url: '/pages/order-detail/order-detail?id=' + encodeURIComponent(e.detail.id) });
  },

  onCreate() {
    wx.navigateTo({ url: '/pages/order-create/order-create' });
  }
});
