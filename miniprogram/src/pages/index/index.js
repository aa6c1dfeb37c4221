const categoriesService = require('../../services/categories');
const ordersService = require('../../services/orders');
const registrationsService = require('../../services/registrations');
const { isManager, isMember, ROLE_TEXT, countText } = require('../../utils/format');
const badge = require('../../utils/badge');

const RECENT_LIMIT = 5;
// the shortcuts' counts: one page of what waits (the API's largest page), "99+" beyond
const PENDING_LIMIT = 100;

/** 「王建国 · 志愿队员」 and the organisation below it, without saying a thing twice. */
function bannerLines(user) {
  if (!user) return { who: '', org: '' };
  const name = user.name || '您好';
  const role = ROLE_TEXT[user.role] || '';
  const who = role && name.indexOf(role) < 0 ? name + ' · ' + role : name;
  const org = user.org_name && name.indexOf(user.org_name) < 0 ? user.org_name : '';
  return { who, org };
}

function pendingText(res) {
  const items = (res && res.items) || [];
  return countText(items.length, res && res.next_cursor !== undefined && res.next_cursor !== null);
}

Page({
  data: {
    user: null,
    roleText: '',
    bannerWho: '',
    bannerOrg: '',
    pendingDispatch: '',
    pendingReview: '',
    member: false,
    manager: false,
    needLogin: false,
    categories: [],
    categoriesLoading: true,
    categoriesError: '',
    recent: [],
    recentLoading: true,
    recentError: '',
    unread: 0
  },

  onLoad() {
    this.load();
  },

  onShow() {
    const user = getApp().globalData.user;
    if (user) this.applyUser(user);
    if (this.loadedOnce) {
      this.loadRecent();
      this.loadPending();
    }
    this.refreshUnread();
  },

  /** Unread messages: badge on the 「我的」 tab and on the home notice line. */
  async refreshUnread() {
    const n = await badge.refresh();
    this.setData({ unread: n });
  },

  onPullDownRefresh() {
    this.load().then(() => wx.stopPullDownRefresh());
  },

  applyUser(user) {
    const lines = bannerLines(user);
    this.setData({
      user,
      bannerWho: lines.who,
      bannerOrg: lines.org,
      roleText: user ? ROLE_TEXT[user.role] || '' : '',
      member: isMember(user),
      manager: isManager(user),
      needLogin: false
    });
  },

  async load() {
    try {
      const user = await getApp().ready();
      this.applyUser(user);
    } catch (e) {
      this.setData({ needLogin: true, categoriesLoading: false, recentLoading: false });
      return;
    }
    await Promise.all([this.loadCategories(), this.loadRecent(), this.refreshUnread(), this.loadPending()]);
    this.loadedOnce = true;
  },

  /** What waits for a secretary: orders to dispatch, registrations to review (on the shortcuts). */
  async loadPending() {
    if (!this.data.manager) return;
    const quietly = (fn) => Promise.resolve().then(fn).catch(() => null);
    const [orders, regs] = await Promise.all([
      quietly(() => ordersService.listOrders({ scope: 'org', status: 'submitted', offset: 0, limit: PENDING_LIMIT }, { silent: true })),
      quietly(() => registrationsService.listRegistrations({ status: 'pending', offset: 0, limit: PENDING_LIMIT }, { silent: true }))
    ]);
    this.setData({ pendingDispatch: pendingText(orders), pendingReview: pendingText(regs) });
  },

  async loadCategories() {
    this.setData({ categoriesLoading: true, categoriesError: '' });
    try {
      const res = await categoriesService.listCategories();
      this.setData({ categories: res.items || [], categoriesLoading: false });
    } catch (e) {
      this.setData({ categoriesLoading: false, categoriesError: e.message });
    }
  },

  async loadRecent() {
    this.setData({ recentLoading: this.data.recent.length === 0, recentError: '' });
    try {
      const res = await ordersService.listOrders({ scope: 'mine', offset: 0, limit: RECENT_LIMIT });
      this.setData({ recent: res.items || [], recentLoading: false });
    } catch (e) {
      this.setData({ recentLoading: false, recentError: e.message });
    }
  },

  async onLogin() {
    try {
      const user = await getApp().login();
      this.applyUser(user);
      await Promise.all([this.loadCategories(), this.loadRecent()]);
      this.loadedOnce = true;
    } catch (e) {
      // request layer has shown the reason
    }
  },

  onCategoryTap(e) {
    const id = e.currentTarget.dataset.id;
    wx.navigateTo({ url: '/pages/order-create/order-create?category_id=' + encodeURIComponent(id) });
  },

  onCreateOrder() {
    wx.navigateTo({ url: '/pages/order-create/order-create' });
  },

  onOrderSelect(e) {
    wx.navigateTo({ url: '/pages/order-detail/order-detail?id=' + encodeURIComponent(e.detail.id) });
  },

  onAllOrders() {
    wx.switchTab({ url: '/pages/orders/orders' });
  },

  onNavigate(e) {
    wx.navigateTo({ url: e.currentTarget.dataset.url });
  }
});
