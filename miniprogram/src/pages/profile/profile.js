const meService = require('../../services/me');
const { ROLE_TEXT, isManager, isMember, formatPoints, formatDateTime, formatDate, parseISO, joinNames } = require('../../utils/format');
const { confirm, toast, alert } = require('../../utils/ui');
const badge = require('../../utils/badge');
const storage = require('../../utils/storage');
const careBehavior = require('../../behaviors/care');

const ERASE_TEXT =
  '将删除：您的姓名、手机号、地址与位置、技能特长、消息与订阅记录；尚未派单或待接单的工单会被取消。\n' +
  '将保留：积分、服务时长与工单记录以匿名形式保留（显示为「已注销用户」），用于组织统计。\n' +
  '注销后立即退出登录，且无法恢复；再次登录将成为新用户。';
const ERASE_AGAIN_TEXT = '注销后无法恢复。确定要永久注销当前账号吗？';

function count(list) {
  return Array.isArray(list) ? list.length : 0;
}

function sizeText(chars) {
  const kb = chars / 1024;
  return kb < 1024 ? Math.max(1, Math.round(kb)) + ' KB' : (kb / 1024).toFixed(1) + ' MB';
}

/** The numbers shown after GET /me/export. */
function summarize(data, jsonLength) {
  return {
    ordersPlaced: count(data.orders_placed),
    ordersServed: count(data.orders_served),
    ledger: count(data.ledger_entries),
    registrations: count(data.member_registrations),
    notifications: count(data.notifications),
    sessions: Number(data.active_sessions) || 0,
    exportedText: formatDateTime(data.exported_at) || formatDateTime(new Date()),
    sizeText: sizeText(jsonLength)
  };
}

Page({
  behaviors: [careBehavior],
  data: {
    user: null,
    roleText: '',
    skillsText: '',
    orgText: '',
    member: false,
    unitBranch: false,
    manager: false,
    loading: true,
    loggedOut: false,
    pointsText: '0',
    hoursText: '0',
    unread: 0,
    exporting: false,
    exportSummary: null,
    erasing: false
  },

  onLoad() {
    this.load();
  },

  onShow() {
    if (this.loadedOnce) this.refresh();
    this.refreshUnread();
  },

  async refreshUnread() {
    const n = await badge.refresh();
    this.setData({ unread: n });
  },

  onPullDownRefresh() {
    return this.refresh().then(() => wx.stopPullDownRefresh());
  },

  applyUser(user) {
    this.setData({
      user,
      roleText: user ? ROLE_TEXT[user.role] || '' : '',
      skillsText: joinNames(user && user.skills),
      // on its own line (a branch name is long); not repeated when the name already says it
      orgText: user && user.org_name && String(user.name || '').indexOf(user.org_name) < 0 ? user.org_name : '',
      member: isMember(user),
      // 双报到 is for members of a work-unit branch (机关/企事业单位支部) only
      unitBranch: Boolean(user && user.org_kind === 'unit'),
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
      this.refreshUnread();
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
    this.setData({ user: null, loggedOut: true, member: false, manager: false, roleText: '', unread: badge.apply(0), exportSummary: null });
    this.exportJson = '';
    toast('已退出登录');
  },

  /** 导出我的数据: GET /me/export, then a summary with 复制 / 保存并发送. */
  async onExport() {
    if (this.data.exporting) return;
    this.setData({ exporting: true });
    wx.showLoading({ title: '正在导出', mask: true });
    let data;
    try {
      data = (await meService.exportMyData()) || {};
    } catch (e) {
      // the request layer has shown why
      wx.hideLoading();
      this.setData({ exporting: false });
      return;
    }
    wx.hideLoading();
    this.exportJson = JSON.stringify(data, null, 2);
    this.exportDate = parseISO(data.exported_at) || new Date();
    this.setData({ exporting: false, exportSummary: summarize(data, this.exportJson.length) });
  },

  onCopyExport() {
    if (!this.exportJson) return;
    wx.setClipboardData({
      data: this.exportJson,
      success: () => toast('已复制，可粘贴到聊天或备忘录保存'),
      fail: () => toast('数据较多无法复制，请使用「保存并发送」')
    });
  },

  /** Writes the JSON to a file in the app's user folder, then offers to send it to a chat (e.g. 文件传输助手). */
  onSaveExport() {
    if (!this.exportJson) return;
    const fileName = 'tongxin-my-data-' + formatDate(this.exportDate || new Date()) + '.json';
    const filePath = wx.env.USER_DATA_PATH + '/' + fileName;
    try {
      wx.getFileSystemManager().writeFileSync(filePath, this.exportJson, 'utf8');
    } catch (e) {
      toast('保存失败，请使用「复制」');
      return;
    }
    if (typeof wx.shareFileMessage !== 'function') {
      toast('已保存：' + fileName);
      return;
    }
    // called right away, still inside the tap (WeChat requires a user gesture)
    wx.shareFileMessage({
      filePath,
      fileName,
      fail: (err) => {
        if (err && err.errMsg && err.errMsg.indexOf('cancel') >= 0) return;
        toast('已保存到小程序文件：' + fileName);
      }
    });
  },

  onCloseExport() {
    this.exportJson = '';
    this.setData({ exportSummary: null });
  },

  /** 注销账号: two confirmations, DELETE /me, then a local logout (the server ended the session) and home. */
  async onErase() {
    if (this.data.erasing) return;
    if (!(await confirm('注销账号', ERASE_TEXT, '继续注销'))) return;
    if (!(await confirm('再次确认', ERASE_AGAIN_TEXT, '确认注销', { cancelText: '我再想想' }))) return;
    this.setData({ erasing: true });
    wx.showLoading({ title: '正在注销', mask: true });
    let res;
    try {
      res = (await meService.eraseMe()) || {};
    } catch (err) {
      wx.hideLoading();
      this.setData({ erasing: false });
      // 409: still serving an order / staff account — the server says why, in Chinese
      if (err && err.status === 409) await alert('暂时无法注销', err.message);
      else toast((err && err.message) || '注销失败，请稍后重试');
      return;
    }
    wx.hideLoading();
    // no POST /auth/logout: the token is gone already and a 401 would log in again as a new user
    await getApp().logout({ remote: false });
    storage.clearPersonalData();
    this.exportJson = '';
    this.setData({ erasing: false, user: null, loggedOut: true, member: false, manager: false, roleText: '', unread: badge.apply(0), exportSummary: null });
    const cancelled = Number(res.cancelled_orders) || 0;
    await alert('账号已注销', (cancelled ? '已取消 ' + cancelled + ' 个尚未完成派单的工单。' : '') + '感谢您参与志愿服务。');
    wx.reLaunch({ url: '/pages/index/index' });
  }
});
