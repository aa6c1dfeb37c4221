const ordersService = require('../../../services/orders');
const listBehavior = require('../../../behaviors/list');
const { orderTabs, countText } = require('../../../utils/format');
const { confirm, prompt, toast } = require('../../../utils/ui');
const subscribe = require('../../../utils/subscribe');
const careBehavior = require('../../../behaviors/care');
const { slipPage } = require('../../../utils/slip');

const TABS = orderTabs('assigned');
// the tab that opens: the most urgent one that has something in it
const OPEN_FIRST = ['in_service', 'accepted', 'completed', 'closed'];
const COUNT_LIMIT = 100;

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
  behaviors: [listBehavior, careBehavior],

  data: {
    tabs: TABS,
    status: '',
    actingId: ''
  },

  async onLoad(query) {
    subscribe.prefetch();
    const asked = query && query.status && TABS.some((t) => t.key === query.status) ? query.status : '';
    this.list = null;
    const counts = await this.loadCounts();
    const status = asked || OPEN_FIRST.find((s) => counts[s] > 0) || 'in_service';
    this.setData({ status });
    return this.initList((p) => ordersService.listOrders({ scope: 'assigned', status: this.data.status, offset: p.offset, limit: p.limit }), { map: decorate });
  },

  onShow() {
    if (this.shownOnce) this.loadCounts();
    this.refreshOnReturn();
  },

  /** One request for all my orders → the count on each tab. */
  async loadCounts() {
    const counts = {};
    try {
      const res = (await ordersService.listOrders({ scope: 'assigned', offset: 0, limit: COUNT_LIMIT }, { silent: true })) || {};
      (res.items || []).forEach((o) => {
        counts[o.status] = (counts[o.status] || 0) + 1;
      });
      const more = res.next_cursor !== undefined && res.next_cursor !== null;
      this.setData({ tabs: TABS.map((t) => Object.assign({}, t, { count: t.key === 'closed' ? '' : countText(counts[t.key], more) })) });
    } catch (e) {
      // the tabs stay without counts
    }
    return counts;
  },

  onHall() {
    wx.navigateTo({ url: '/pkg-member/pages/task-hall/task-hall' });
  },

  /** 扫一扫: a paper slip's QR (纸质服务单) opens its order; any other code is refused. */
  onScan() {
    wx.scanCode({
      scanType: ['qrCode', 'wxCode'],
      success: (res) => {
        const url = slipPage(res);
        if (url) wx.navigateTo({ url });
        else toast('不是服务单二维码');
      }
    });
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
    // the order moved to another tab (or changed meanwhile): reload this one and the counts
    await Promise.all([this.list.refresh(), this.loadCounts()]);
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
