const ordersService = require('../../../services/orders');
const { toast } = require('../../../utils/ui');
const careBehavior = require('../../../behaviors/care');

const MAX_PHOTOS = 9;
const MAX_NOTE = 500;

Page({
  behaviors: [careBehavior],
  data: {
    id: '',
    order: null,
    loading: true,
    note: '',
    photos: [],
    photosBusy: false,
    error: '',
    submitting: false,
    maxPhotos: MAX_PHOTOS,
    maxNote: MAX_NOTE
  },

  onLoad(query) {
    this.setData({ id: (query && query.id) || '' });
    this.load();
  },

  async load() {
    this.setData({ loading: true });
    try {
      const order = await ordersService.getOrder(this.data.id);
      this.setData({ order, loading: false });
    } catch (e) {
      this.setData({ loading: false });
    }
  },

  onNote(e) {
    this.setData({ note: e.detail.value, error: '' });
  },

  /** photo-uploader: the media ids uploaded so far, and whether one is still uploading */
  onPhotosChange(e) {
    this.setData({ photos: e.detail.ids, photosBusy: e.detail.busy, error: '' });
  },

  async onSubmit() {
    if (this.data.submitting) return;
    const note = this.data.note.trim();
    if (!note) {
      this.setData({ error: '请填写服务情况' });
      toast('请填写服务情况');
      return;
    }
    if (this.data.photosBusy) {
      toast('照片还在上传，请稍候');
      return;
    }
    const body = { note };
    if (this.data.photos.length) body.photos = this.data.photos.slice();
    this.setData({ submitting: true });
    try {
      await ordersService.completeOrder(this.data.id, body);
      this.setData({ submitting: false });
      toast('已提交，等待群众确认', 'success');
      wx.navigateBack();
    } catch (err) {
      const fields = err.fields || {};
      this.setData({ submitting: false, error: fields.note || fields.photos || '' });
    }
  }
});
