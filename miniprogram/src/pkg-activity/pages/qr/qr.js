const activitiesService = require('../../../services/activities');
const careBehavior = require('../../../behaviors/care');

const REFRESH_MS = 5000;

/** The organiser's phone shows the rotating code (refreshed well inside its 30 s window). */
Page({
  behaviors: [careBehavior],
  data: { id: '', direction: 'in', image: '', error: '' },

  onLoad(query) {
    this.setData({ id: query.id || '', direction: query.direction === 'out' ? 'out' : 'in' });
    wx.setKeepScreenOn && wx.setKeepScreenOn({ keepScreenOn: true });
    return this.refresh();
  },

  onShow() {
    this.stop();
    this.live = true;
    this.schedule();
  },

  schedule() {
    if (!this.live) return;
    this.timer = setTimeout(async () => {
      await this.refresh();
      this.schedule();
    }, REFRESH_MS);
  },

  onHide() {
    this.stop();
  },

  onUnload() {
    this.stop();
  },

  stop() {
    this.live = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  },

  async refresh() {
    try {
      const qr = await activitiesService.getQr(this.data.id, { direction: this.data.direction });
      this.setData({ image: qr.image, error: '' });
    } catch (err) {
      this.setData({ error: err.message || '二维码刷新失败' });
      if (err.status === 409 || err.status === 403 || err.status === 404) this.stop();
    }
  },

  onDirection(e) {
    this.setData({ direction: e.currentTarget.dataset.direction });
    return this.refresh();
  }
});
