const activitiesService = require('../../../services/activities');
const { confirm, toast } = require('../../../utils/ui');
const { formatDateTime } = require('../../../utils/format');
const { decorate } = require('../../utils');
const careBehavior = require('../../../behaviors/care');

Page({
  behaviors: [careBehavior],
  data: { id: '', activity: null, rows: [], loading: true, settling: false, canSettle: false },

  onLoad(query) {
    this.setData({ id: query.id || '' });
    return this.load();
  },

  onPullDownRefresh() {
    return this.load();
  },

  async load() {
    this.setData({ loading: true });
    try {
      const res = await activitiesService.getAttendance(this.data.id);
      const rows = res.items.map((r) =>
        Object.assign({}, r, {
          inText: formatDateTime(r.checkin_at),
          outText: formatDateTime(r.checkout_at)
        })
      );
      this.setData({
        activity: decorate(res.activity),
        rows,
        canSettle: (res.activity.actions || []).indexOf('settle') >= 0,
        loading: false
      });
    } catch (err) {
      this.setData({ loading: false });
    }
  },

  async onSettle() {
    if (this.data.settling) return;
    const attended = this.data.rows.filter((r) => r.checkin_at).length;
    if (!(await confirm('结算积分与时长', '将向 ' + attended + ' 位出席者发放积分与服务时长，结算后不能再修改考勤'))) return;
    this.setData({ settling: true });
    try {
      const done = await activitiesService.settle(this.data.id);
      toast('已结算 ' + (done.attended || 0) + ' 人', 'success');
      await this.load();
    } catch (err) {
      // shown by the request layer
    }
    this.setData({ settling: false });
  }
});
