const activitiesService = require('../../../services/activities');
const { confirm, toast } = require('../../../utils/ui');
const { decorate, locate, scan, parseToken } = require('../../utils');
const careBehavior = require('../../../behaviors/care');

Page({
  behaviors: [careBehavior],
  data: { id: '', activity: null, loading: true, error: '', busy: false, can: {} },

  onLoad(query) {
    this.setData({ id: query.id || '' });
    return this.load();
  },

  onPullDownRefresh() {
    return this.load();
  },

  async load() {
    this.setData({ loading: true, error: '' });
    try {
      const a = await activitiesService.getActivity(this.data.id);
      const can = {};
      (a.actions || []).forEach((name) => {
        can[name] = true;
      });
      this.setData({ activity: decorate(a), can, loading: false });
    } catch (err) {
      this.setData({ loading: false, error: err.message || '加载失败' });
    }
  },

  async onSignUp() {
    if (this.data.busy) return;
    this.setData({ busy: true });
    try {
      const res = await activitiesService.signUp(this.data.id);
      toast(res.signup.status === 'waiting' ? '名额已满，已进入候补' : '报名成功', 'success');
      await this.load();
    } catch (err) {
      // the request layer has shown the reason (time conflict, closed, …)
    }
    this.setData({ busy: false });
  },

  async onCancelSignup() {
    if (this.data.busy || !(await confirm('取消报名', '取消后名额将让给候补的队员'))) return;
    this.setData({ busy: true });
    try {
      await activitiesService.cancelSignup(this.data.id);
      toast('已取消报名', 'success');
      await this.load();
    } catch (err) {
      // shown by the request layer
    }
    this.setData({ busy: false });
  },

  /** 扫码签到/签退: the scanned code must be this activity's and of the expected direction. */
  async onScan() {
    if (this.data.busy) return;
    const direction = this.data.can.checkout ? 'out' : 'in';
    let text;
    try {
      text = await scan();
    } catch (err) {
      return; // cancelled
    }
    const parsed = parseToken(text);
    if (!parsed) {
      toast('这不是活动签到二维码');
      return;
    }
    this.setData({ busy: true });
    try {
      const where = await locate().catch(() => ({}));
      const body = Object.assign({ token: parsed.token }, where);
      const call = direction === 'out' ? activitiesService.checkOut : activitiesService.checkIn;
      const row = await call(this.data.id, body);
      toast(direction === 'out' ? '签退成功，本次 ' + (row.hours || 0) + ' 小时' : '签到成功', 'success');
      await this.load();
    } catch (err) {
      // the server's reason (expired, too far, …) is shown by the request layer
    }
    this.setData({ busy: false });
  },

  onQr() {
    wx.navigateTo({ url: '/pkg-activity/pages/qr/qr?id=' + encodeURIComponent(this.data.id) });
  },

  onAttendance() {
    wx.navigateTo({ url: '/pkg-activity/pages/attendance/attendance?id=' + encodeURIComponent(this.data.id) });
  },

  async onPublish() {
    if (this.data.busy) return;
    this.setData({ busy: true });
    try {
      await activitiesService.publishActivity(this.data.id);
      toast('已发布', 'success');
      await this.load();
    } catch (err) {
      // shown
    }
    this.setData({ busy: false });
  }
});
