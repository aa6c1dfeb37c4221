/**
 * 消息通知: the in-app inbox (GET /notifications, unread first).
 * WeChat subscribe messages deep-link to exactly this page (pages/notifications/index).
 * Tapping a message marks it read and opens its order when it refers to one.
 */
const notificationsService = require('../../services/notifications');
const { ListController, emptyList } = require('../../utils/list');
const { formatDateTime } = require('../../utils/format');
const badge = require('../../utils/badge');
const { toast } = require('../../utils/ui');

const TABS = [
  { key: 'all', text: '全部' },
  { key: 'unread', text: '未读' }
];

function decorate(n) {
  return Object.assign({}, n, {
    read: !!n.read,
    timeText: formatDateTime(n.created_at),
    hasOrder: !!n.order_id,
    expanded: false
  });
}

Page({
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
    return Promise.all([this.list.refresh(), this.refreshCount()]);
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
    return this.list.loadMore();
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
