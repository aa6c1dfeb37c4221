const voicesService = require('../../../services/voices');
const { ListController, emptyList } = require('../../../utils/list');
const { toast } = require('../../../utils/ui');
const careBehavior = require('../../../behaviors/care');

/** Staff inbox: what waits to be accepted in my scope (staff), what is assigned to me (handlers). */
Page({
  behaviors: [careBehavior],
  data: { list: emptyList(), staff: false, busyId: '' },

  onLoad() {
    const user = (getApp().globalData || {}).user || {};
    const staff = user.role === 'secretary' || user.role === 'admin';
    this.setData({ staff });
    const query = staff ? { scope: 'scope', status: 'received' } : { scope: 'assigned', status: 'accepted' };
    this.list = new ListController(this, 'list', (p) => voicesService.listVoices(Object.assign({}, query, { offset: p.offset, limit: p.limit })));
    this.list.refresh();
  },

  onShow() {
    if (this.shownOnce) this.list.refresh();
    this.shownOnce = true;
  },

  onPullDownRefresh() {
    return this.list.refresh();
  },

  onOpen(e) {
    wx.navigateTo({ url: '/pkg-voice/pages/detail/detail?id=' + encodeURIComponent(e.currentTarget.dataset.id) });
  },

  async onAccept(e) {
    const id = e.currentTarget.dataset.id;
    if (this.data.busyId) return;
    this.setData({ busyId: id });
    try {
      await voicesService.acceptVoice(id);
      this.list.removeItem(id);
      toast('已受理', 'success');
    } catch (err) {
      if (err && (err.status === 409 || err.status === 404)) this.list.refresh();
    } finally {
      this.setData({ busyId: '' });
    }
  }
});
