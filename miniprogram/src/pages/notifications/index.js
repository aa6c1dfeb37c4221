/**
 * 消息通知: the in-app inbox (GET /notifications, unread first).
 * WeChat subscribe messages deep-link to exactly this page (pages/notifications/index).
 * Tapping a message marks it read and opens its order when it refers to one; a message whose
 * action is already done reads 已处理 and is marked read.
 */
const notificationsService = require('../../services/notifications');
const ordersService = require('../../services/orders');
const tasksService = require('../../services/tasks');
const { ListController, emptyList } = require('../../utils/list');
const { formatDateTime, isManager, isMember } = require('../../utils/format');
const badge = require('../../utils/badge');
const { toast } = require('../../utils/ui');
const careBehavior = require('../../behaviors/care');

const TABS = [
  { key: 'all', text: '全部' },
  { key: 'unread', text: '未读' }
];

/**
 * Messages that ask for an action, and the list of orders on which that action is still open:
 * a message whose order is no longer in that list has been dealt with (confirmed and rated,
 * accepted by someone, dispatched) and reads as done.
 */
const ACTIONS = {
  order_completed: { scope: 'mine', status: 'completed' },
  order_dispatched: { scope: 'assigned', status: 'dispatched', hall: true },
  order_submitted: { scope: 'org', status: 'submitted' },
  order_returned: { scope: 'org', status: 'submitted' },
  order_escalated: { scope: 'org', status: 'submitted' }
};
const OPEN_LIMIT = 100;

function decorate(n) {
  return Object.assign({}, n, {
    read: !!n.read,
    done: false,
    timeText: formatDateTime(n.created_at),
    hasOrder: !!n.order_id,
    expanded: false
  });
}

/** The scopes whose open orders this person can be asked about. */
function scopesFor(user) {
  if (isManager(user)) return ['mine', 'org'];
  if (isMember(user)) return ['mine', 'assigned'];
  return ['mine'];
}

Page({
  behaviors: [careBehavior],
  data: {
    tabs: TABS,
    tab: 'all',
    list: emptyList(),
    unread: 0,
    needLogin: false,
    markingAll: false
  },

  onLoad() {
    this.list = new ListController(
      this,
      'list',
      (p) =>
        notificationsService.listNotifications({
          unread: this.data.tab === 'unread' ? true : undefined,
          offset: p.offset,
          limit: p.limit
        }),
      { map: decorate }
    );
    // items marked read since the last page was loaded (they moved down the server's order)
    this.movedDown = 0;
    return this.load();
  },

  async load() {
    try {
      await getApp().ready();
    } catch (e) {
      // opened from a subscribe message while logged out, or offline
      this.setData({ needLogin: true, list: Object.assign(emptyList(), { loaded: true }) });
      return;
    }
    this.setData({ needLogin: false });
    await this.reload();
  },

  reload() {
    this.movedDown = 0;
    return Promise.all([this.list.refresh(), this.refreshCount(), this.loadOpen()]).then(() => this.markDone());
  },

  /** Ids of the orders on which each kind of message still waits (one small request per scope). */
  async loadOpen() {
    const user = getApp().globalData.user;
    const wanted = {};
    Object.keys(ACTIONS).forEach((k) => {
      const a = ACTIONS[k];
      if (scopesFor(user).indexOf(a.scope) >= 0) wanted[a.scope + ':' + a.status] = a;
    });
    const open = {};
    await Promise.all(
      Object.keys(wanted).map(async (key) => {
        const a = wanted[key];
        try {
          const res = a.hall
            ? await tasksService.listTaskHall({ offset: 0, limit: OPEN_LIMIT }, { silent: true })
            : await ordersService.listOrders({ scope: a.scope, status: a.status, offset: 0, limit: OPEN_LIMIT }, { silent: true });
          // a longer list than one page: not sure what is done, so nothing is
          if (!res || res.next_cursor !== undefined && res.next_cursor !== null) return;
          open[key] = {};
          (res.items || []).forEach((o) => {
            open[key][o.id] = true;
          });
        } catch (e) {
          // unknown: nothing is marked done
        }
      })
    );
    this.openOrders = open;
  },

  /** Marks the messages whose action is done: shown as 已处理, and read on the server (silently). */
  markDone() {
    const open = this.openOrders || {};
    const items = this.data.list.items;
    const done = [];
    items.forEach((n, i) => {
      const a = ACTIONS[n.kind];
      const known = a && open[a.scope + ':' + a.status];
      if (!known || !n.order_id || n.done || known[n.order_id]) return;
      this.setData({ ['list.items[' + i + '].done']: true });
      if (!n.read) done.push(n.id);
    });
    if (!done.length) return;
    done.forEach((id) => this.setRead(id, true));
    this.movedDown += done.length;
    this.setData({ unread: Math.max(0, this.data.unread - done.length) });
    return notificationsService.markRead(done).then(
      (res) => {
        if (res && typeof res.unread === 'number') this.setData({ unread: badge.apply(res.unread) });
      },
      () => {
        // silent: the next visit tries again
      }
    );
  },

  async refreshCount() {
    const n = await badge.refresh();
    this.setData({ unread: n });
  },

  onPullDownRefresh() {
    if (this.data.needLogin) {
      wx.stopPullDownRefresh();
      return Promise.resolve();
    }
    return this.reload();
  },

  onReachBottom() {
    return this.loadMore();
  },

  onMore() {
    return this.loadMore();
  },

  loadMore() {
    this.list.rewind(this.movedDown);
    this.movedDown = 0;
    return Promise.resolve(this.list.loadMore()).then(() => this.markDone());
  },

  onRetry() {
    return this.reload();
  },

  async onLogin() {
    try {
      await getApp().login();
      this.setData({ needLogin: false });
      await this.reload();
    } catch (e) {
      // the request layer has shown why
    }
  },

  onTab(e) {
    const tab = e.currentTarget.dataset.key;
    if (tab === this.data.tab) return;
    this.setData({ tab, list: emptyList() });
    return this.reload();
  },

  /** Marks one item read locally; returns the previous item (to undo) or null if nothing changed. */
  setRead(id, read) {
    const items = this.data.list.items;
    const idx = items.findIndex((x) => x.id === id);
    if (idx < 0 || items[idx].read === read) return null;
    this.setData({ ['list.items[' + idx + '].read']: read });
    return items[idx];
  },

  async markOne(id) {
    if (!this.setRead(id, true)) return;
    this.setData({ unread: Math.max(0, this.data.unread - 1) });
    this.movedDown += 1;
    try {
      const res = await notificationsService.markRead([id]);
      if (res && typeof res.unread === 'number') this.setData({ unread: badge.apply(res.unread) });
    } catch (e) {
      // silent: the dot comes back so the user can see it is still unread
      this.setRead(id, false);
      this.movedDown = Math.max(0, this.movedDown - 1);
      this.setData({ unread: this.data.unread + 1 });
    }
  },

  onTapItem(e) {
    const id = e.currentTarget.dataset.id;
    const item = this.data.list.items.find((x) => x.id === id);
    if (!item) return;
    const marking = item.read ? Promise.resolve() : this.markOne(id);
    if (item.order_id) {
      // navigation does not wait for the mark
      wx.navigateTo({ url: '/pages/order-detail/order-detail?id=' + encodeURIComponent(item.order_id) });
    } else {
      const idx = this.data.list.items.indexOf(item);
      this.setData({ ['list.items[' + idx + '].expanded']: !item.expanded });
    }
    return marking;
  },

  async onMarkAll() {
    if (this.data.markingAll || this.data.unread <= 0) return;
    this.setData({ markingAll: true });
    try {
      const res = await notificationsService.markAllRead();
      const items = this.data.list.items.map((x) => Object.assign({}, x, { read: true }));
      this.setData({ 'list.items': items, unread: badge.apply(res && typeof res.unread === 'number' ? res.unread : 0) });
      toast('已全部标为已读', 'success');
      this.setData({ markingAll: false });
      // the order on the server is now newest first: start the list over
      await this.reload();
    } catch (e) {
      // the request layer has shown why
      this.setData({ markingAll: false });
    }
  }
});
