const ordersService = require('../../../services/orders');
const { ListController, emptyList } = require('../../../utils/list');
const { confirm, prompt, toast } = require('../../../utils/ui');
const subscribe = require('../../../utils/subscribe');

const TABS = [
  { key: 'dispatched', text: '待接单' },
  { key: 'accepted', text: '待服务' },
  { key: 'in_service', text: '服务中' },
  { key: 'completed', text: '待确认' },
  { key: 'closed', text: '已完成' }
];

function decorate(order) {
  const actions = order.actions || [];
  return Object.assign({}, order, {
    canAccept: actions.indexOf('accept') >= 0,
    canDecline: actions.indexOf('decline') >= 0,
    canStart: actions.indexOf('start') >= 0,
    canComplete: actions.indexOf('complete') >= 0
  });
}

Page({
  data: {
    tabs: TABS,
    status: 'accepted',
    list: emptyList(),
    actingId: ''
  },

  onLoad(query) {
    subscribe.prefetch();
    if (query && query.status && TABS.some((t) => t.key === query.status)) this.setData({ status: query.status });
    this.list = new ListController(
      this,
      'list',
      (p) => ordersService.listOrders({ scope: 'assigned', status: this.data.status, offset: p.offset, limit: p.limit }),
      { map: decorate }
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
    wx.navigateTo({ url: '/pages/order-detail/order-detail?id=' + encodeURIComponent(e.detail.id) });
  },

  async run(id, fn, text) {
    if (this.data.actingId) return;
    this.setData({ actingId: id });
    try {
      await fn();
      toast(text, 'success');
    } catch (e) {
      // the request layer has shown why
    }
    this.setData({ actingId: '' });
    // the order moved to another tab (or changed meanwhile): reload this one
    await this.list.refresh();
  },

  async onAccept(e) {
    const id = e.currentTarget.dataset.id;
    if (!(await confirm('确认接单', '接单后请按时上门服务', '', { onConfirm: subscribe.ask }))) return;
    return this.run(id, () => ordersService.acceptOrder(id), '接单成功');
  },

  async onDecline(e) {
    const id = e.currentTarget.dataset.id;
    const reason = await prompt('退回工单', '退回原因', true);
    if (!reason) return;
    return this.run(id, () => ordersService.declineOrder(id, reason), '已退回');
  },

  async onStart(e) {
    const id = e.currentTarget.dataset.id;
    if (!(await confirm('开始服务', '确认已到达现场并开始服务？'))) return;
    return this.run(id, () => ordersService.startOrder(id), '已开始服务');
  },

  onComplete(e) {
    wx.navigateTo({ url: '/pkg-member/pages/task-complete/task-complete?id=' + encodeURIComponent(e.currentTarget.dataset.id) });
  }
});
