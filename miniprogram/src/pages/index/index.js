const categoriesService = require('../../services/categories');
const ordersService = require('../../services/orders');
const registrationsService = require('../../services/registrations');
const { isManager, isMember, ROLE_TEXT, countText } = require('../../utils/format');
const badge = require('../../utils/badge');
const orgs = require('../../utils/orgs');
const { LAST_ORDER_ORG_KEY } = require('../../utils/storage');
const { toast } = require('../../utils/ui');
const careBehavior = require('../../behaviors/care');

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
  behaviors: [careBehavior],
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
    unread: 0,
    contact: null
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
      if (this.data.care) this.loadContact();
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
    if (this.data.care) await this.loadContact();
  },

  /** Care mode turned on here or on another page: the big actions need the community's phone. */
  onCareChange(on) {
    if (on && this.loadedOnce) this.loadContact();
  },

  /**
   * The community to call: the person's own organisation, else the one they last ordered from, else
   * the one of their latest order; its phone (or its community's) from the org tree.
   */
  async loadContact() {
    const user = this.data.user;
    let orgId = user && user.org_id;
    if (!orgId) {
      try {
        const last = wx.getStorageSync(LAST_ORDER_ORG_KEY);
        orgId = last && last.id;
      } catch (e) {
        orgId = '';
      }
    }
    if (!orgId && this.data.recent.length) orgId = this.data.recent[0].org_id;
    if (!orgId) return;
    const contactOf = await orgs.contacts();
    this.setData({ contact: contactOf(orgId) });
  },

  onCallCommunity() {
    const contact = this.data.contact;
    if (!contact) {
      // nothing known yet: choose the community once (remembered like the order form's choice)
      wx.navigateTo({
        url: '/pages/org-select/org-select?types=community,branch&title=' + encodeURIComponent('选择您所在的社区'),
        events: {
          selected: (org) => {
            try {
              wx.setStorageSync(LAST_ORDER_ORG_KEY, { id: org.id, name: org.name });
            } catch (e) {
              // not important
            }
            this.loadContact().then(() => {
              if (!this.data.contact) toast('该社区还没有登记服务电话');
            });
          }
        }
      });
      return;
    }
    wx.makePhoneCall({
      phoneNumber: String(contact.phone).replace(/[^\d+]/g, ''),
      fail: (err) => {
        if (err && err.errMsg && err.errMsg.indexOf('cancel') >= 0) return;
        toast('无法拨打电话，请拨 ' + contact.phone);
      }
    });
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
      if (this.data.care) await this.loadContact();
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
