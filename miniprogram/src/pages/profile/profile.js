const meService = require('../../services/me');
const { ROLE_TEXT, isManager, isMember, formatPoints } = require('../../utils/format');
const { confirm, toast } = require('../../utils/ui');

Page({
  data: {
    user: null,
    roleText: '',
    member: false,
    manager: false,
    loading: true,
    loggedOut: false,
    pointsText: '0',
    hoursText: '0'
  },

  onLoad() {
    this.load();
  },

  onShow() {
    if (this.loadedOnce) this.refresh();
  },

  onPullDownRefresh() {
    return this.refresh().then(() => wx.stopPullDownRefresh());
  },

  applyUser(user) {
    this.setData({
      user,
      roleText: user ? ROLE_TEXT[user.role] || '' : '',
      member: isMember(user),
      manager: isManager(user),
      loading: false,
      loggedOut: !user,
      pointsText: String(formatPoints(user && user.points_balance)),
      hoursText: String(formatPoints(user && user.hours_balance))
    });
  },

  async load() {
    try {
      const user = await getApp().ready();
      this.applyUser(user);
      this.loadedOnce = true;
    } catch (e) {
      this.setData({ loading: false, loggedOut: true, user: null });
    }
  },

  async refresh() {
    if (this.data.loggedOut) return;
    try {
      const user = await getApp().refreshUser();
      this.applyUser(user);
    } catch (e) {
      // keep what is shown
    }
  },

  async onLogin() {
    try {
      const user = await getApp().login();
      this.applyUser(user);
      this.loadedOnce = true;
    } catch (e) {
      // shown by the request layer
    }
  },

  async onGetPhoneNumber(e) {
    const code = e && e.detail && e.detail.code;
    if (!code) {
      toast('未授权手机号');
      return;
    }
    try {
      const user = await meService.bindPhone(code);
      getApp().setUser(user);
      this.applyUser(user);
      toast('手机号已绑定', 'success');
    } catch (err) {
      // shown by the request layer
    }
  },

  onNavigate(e) {
    const url = e.currentTarget.dataset.url;
    if (url === '/pages/orders/orders') wx.switchTab({ url });
    else wx.navigateTo({ url });
  },

  async onLogout() {
    if (!(await confirm('退出登录', '退出后需要重新登录才能下单和查看工单'))) return;
    await getApp().logout();
    this.setData({ user: null, loggedOut: true, member: false, manager: false, roleText: '' });
    toast('已退出登录');
  }
});
