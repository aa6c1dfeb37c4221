const ordersService = require('../../services/orders');
const { formatDateTime, OPEN_FOR_VOLUNTEER } = require('../../utils/format');
const { confirm, prompt, toast } = require('../../utils/ui');
const subscribe = require('../../utils/subscribe');
const careBehavior = require('../../behaviors/care');

function can(order, action) {
  return !!order && Array.isArray(order.actions) && order.actions.indexOf(action) >= 0;
}

/**
 * What the page shows of an order, for the person looking at it: the resident is not offered to
 * call their own number nor shown the volunteers' due time; a member who has not taken the order
 * sees where (community, distance) but not the address; the due time only while it still runs.
 */
function decorate(order, user) {
  const me = (user && user.id) || '';
  const owner = !!me && order.resident_id === me;
  const candidate = can(order, 'accept') && order.assignee_id !== me;
  const distance = order.distance_km === undefined || order.distance_km === null ? '' : '距您 ' + Number(order.distance_km).toFixed(1) + ' 公里';
  return Object.assign({}, order, {
    createdText: formatDateTime(order.created_at),
    wantedText: formatDateTime(order.wanted_at),
    dueText: !owner && OPEN_FOR_VOLUNTEER.indexOf(order.status) >= 0 ? formatDateTime(order.due_at) : '',
    addressHidden: candidate,
    placeText: candidate && distance ? distance + '，' : '',
    phoneCallable: !owner && !candidate && !!order.contact_phone && String(order.contact_phone).indexOf('*') < 0,
    owner
  });
}

Page({
  behaviors: [careBehavior],
  data: {
    id: '',
    order: null,
    loading: true,
    error: '',
    acting: false,
    can: {},
    rating: 0,
    comment: '',
    history: null, // 查看全部记录: the whole history loaded so far, oldest first
    historyCursor: ''
  },

  onLoad(query) {
    subscribe.prefetch();
    this.setData({ id: (query && query.id) || '' });
    this.slip = (query && query.slip) || ''; // opened from a paper slip's QR (纸质服务单)
    this.load();
  },

  onShow() {
    if (this.loadedOnce) this.load();
  },

  onPullDownRefresh() {
    return this.load().then(() => wx.stopPullDownRefresh());
  },

  async load() {
    if (!this.data.id) {
      this.setData({ loading: false, error: '工单不存在' });
      return;
    }
    this.setData({ loading: !this.data.order, error: '' });
    try {
      const order = this.slip
        ? await ordersService.getOrderBySlip(this.data.id, this.slip)
        : await ordersService.getOrder(this.data.id);
      this.show(order);
      this.loadedOnce = true;
    } catch (e) {
      this.setData({ loading: false, error: e.message });
    }
  },

  show(order) {
    const user = getApp().globalData.user;
    const view = decorate(order, user);
    // a secretary refuses an order in one place: 驳回 on the dispatch page, not also 取消 here
    const dispatch = can(order, 'dispatch') || can(order, 'reject');
    this.setData({
      order: view,
      history: null,
      historyCursor: '',
      loading: false,
      can: {
        cancel: can(order, 'cancel') && (view.owner || !dispatch),
        confirm: can(order, 'confirm'),
        accept: can(order, 'accept'),
        decline: can(order, 'decline'),
        start: can(order, 'start'),
        complete: can(order, 'complete'),
        dispatch
      }
    });
  },

  /** 查看全部记录, then 加载更早的记录: the history endpoint's pages (newest first) shown oldest first. */
  async onMoreHistory() {
    if (this.loadingHistory) return;
    this.loadingHistory = true;
    try {
      const more = this.data.history !== null;
      const page = await ordersService.getOrderTimeline(this.data.id, { cursor: more ? this.data.historyCursor : '', limit: 50 });
      const older = (page.items || []).slice().reverse();
      this.setData({ history: older.concat(more ? this.data.history : []), historyCursor: page.next_cursor || '' });
    } catch (e) {
      // the request helper has shown the error; the recent events stay on the page
    } finally {
      this.loadingHistory = false;
    }
  },

  /** Runs one transition; the answer is the updated order (its timeline may be absent). */
  async act(fn, successText) {
    if (this.data.acting) return false;
    this.setData({ acting: true });
    try {
      const updated = await fn();
      toast(successText, 'success');
      this.setData({ acting: false });
      // reload to get the timeline; fall back to the answer
      if (updated && updated.id) this.show(Object.assign({ timeline: this.data.order.timeline }, updated));
      await this.load();
      return true;
    } catch (e) {
      this.setData({ acting: false });
      if (e.status === 409) this.load();
      return false;
    }
  },

  async onCancel() {
    const reason = await prompt('取消工单', '取消原因（选填）', false);
    if (reason === null) return;
    await this.act(() => ordersService.cancelOrder(this.data.id, reason), '已取消');
  },

  onRate(e) {
    this.setData({ rating: e.detail.value });
  },

  onComment(e) {
    this.setData({ comment: e.detail.value });
  },

  async onConfirm() {
    if (!this.data.rating) {
      toast('请先为本次服务打分');
      return;
    }
    const body = { rating: this.data.rating };
    if (this.data.comment.trim()) body.comment = this.data.comment.trim();
    const ok = await this.act(() => ordersService.confirmOrder(this.data.id, body), '感谢您的评价');
    if (ok) this.setData({ rating: 0, comment: '' });
  },

  async onAccept() {
    if (!(await confirm('确认接单', '接单后请按时上门服务', '', { onConfirm: subscribe.ask }))) return;
    await this.act(() => ordersService.acceptOrder(this.data.id), '接单成功');
  },

  async onDecline() {
    const reason = await prompt('退回工单', '退回原因', true);
    if (!reason) return;
    await this.act(() => ordersService.declineOrder(this.data.id, reason), '已退回');
  },

  async onStart() {
    if (!(await confirm('开始服务', '确认已到达现场并开始服务？'))) return;
    await this.act(() => ordersService.startOrder(this.data.id), '已开始服务');
  },

  onComplete() {
    wx.navigateTo({ url: '/pkg-member/pages/task-complete/task-complete?id=' + encodeURIComponent(this.data.id) });
  },

  onDispatch() {
    wx.navigateTo({ url: '/pkg-secretary/pages/dispatch-detail/dispatch-detail?id=' + encodeURIComponent(this.data.id) });
  },

  onCall() {
    if (this.data.order && this.data.order.phoneCallable) wx.makePhoneCall({ phoneNumber: this.data.order.contact_phone });
  },

  onOpenMap() {
    const o = this.data.order;
    if (!o || !o.location || !o.location.coordinates) return;
    wx.openLocation({
      longitude: Number(o.location.coordinates[0]),
      latitude: Number(o.location.coordinates[1]),
      name: o.address || '',
      address: o.address || ''
    });
  }
});
