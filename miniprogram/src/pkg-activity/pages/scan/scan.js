const activitiesService = require('../../../services/activities');
const { toast } = require('../../../utils/ui');
const { locate, scan, parseToken } = require('../../utils');
const careBehavior = require('../../../behaviors/care');

/** 扫码签到/签退 from anywhere: the code names the activity and the direction. */
Page({
  behaviors: [careBehavior],
  data: { state: 'idle', message: '', result: null },

  onLoad() {
    return this.onScan();
  },

  async onScan() {
    if (this.data.state === 'busy') return;
    let text;
    try {
      text = await scan();
    } catch (err) {
      this.setData({ state: 'idle', message: '' });
      return;
    }
    const parsed = parseToken(text);
    if (!parsed) {
      this.setData({ state: 'error', message: '这不是活动签到二维码，请扫描活动现场的二维码' });
      return;
    }
    this.setData({ state: 'busy', message: '正在获取位置…' });
    let where = {};
    try {
      where = await locate();
    } catch (err) {
      // the server answers that a location is needed, in its own words
    }
    const call = parsed.direction === 'out' ? activitiesService.checkOut : activitiesService.checkIn;
    try {
      const row = await call(parsed.id, Object.assign({ token: parsed.token }, where));
      const done = parsed.direction === 'out' ? '签退成功，本次服务 ' + (row.hours || 0) + ' 小时' : '签到成功';
      this.setData({ state: 'done', message: done, result: { id: parsed.id } });
      toast(done, 'success');
    } catch (err) {
      this.setData({ state: 'error', message: err.message || '签到失败' });
    }
  },

  onOpen() {
    if (this.data.result) wx.redirectTo({ url: '/pkg-activity/pages/detail/detail?id=' + this.data.result.id });
  }
});
