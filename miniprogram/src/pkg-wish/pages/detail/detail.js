const wishesService = require('../../../services/wishes');
const { confirm, prompt, toast } = require('../../../utils/ui');
const careBehavior = require('../../../behaviors/care');

/** A wish with the actions the server allows the caller: claim, release, fulfil, confirm. */
Page({
  behaviors: [careBehavior],
  data: {
    wish: null,
    loading: true,
    busy: false,
    error: '',
    fulfilling: false,
    fulfil: { note: '', photos: [], busy: false },
    fulfilError: ''
  },

  onLoad(query) {
    this.id = String((query && query.id) || '');
    return this.load();
  },

  async load() {
    this.setData({ loading: true });
    try {
      this.setData({ wish: await wishesService.getWish(this.id), error: '' });
    } catch (err) {
      this.setData({ error: (err && err.message) || '加载失败' });
    } finally {
      this.setData({ loading: false });
    }
  },

  can(action) {
    return !!(this.data.wish && this.data.wish.actions.indexOf(action) >= 0);
  },

  async run(fn) {
    if (this.data.busy) return;
    this.setData({ busy: true });
    try {
      this.setData({ wish: await fn() });
    } catch (err) {
      if (err && (err.status === 409 || err.status === 404)) await this.load();
    } finally {
      this.setData({ busy: false });
    }
  },

  async onClaim() {
    if (!this.can('claim') || !(await confirm('认领心愿', '认领后请尽快实现'))) return;
    await this.run(() => wishesService.claimWish(this.id));
  },

  async onRelease() {
    if (!this.can('release')) return;
    const reason = await prompt('放弃认领', '请说明原因', true);
    if (reason) await this.run(() => wishesService.releaseWish(this.id, reason));
  },

  /** 已实现 opens the claimant's form: a note and photos (uploaded at once, sent as media ids) */
  onFulfil() {
    if (!this.can('fulfil')) return;
    this.setData({ fulfilling: true, fulfil: { note: '', photos: [], busy: false }, fulfilError: '' });
  },

  onFulfilCancel() {
    this.setData({ fulfilling: false, fulfilError: '' });
  },

  onFulfilNote(e) {
    this.setData({ 'fulfil.note': e.detail.value, fulfilError: '' });
  },

  onFulfilPhotos(e) {
    this.setData({ 'fulfil.photos': e.detail.ids, 'fulfil.busy': e.detail.busy, fulfilError: '' });
  },

  async onFulfilSubmit() {
    const f = this.data.fulfil;
    if (!f.note.trim()) return this.setData({ fulfilError: '请说明心愿是如何实现的' });
    if (f.busy) return this.setData({ fulfilError: '照片还在上传，请稍候' });
    const body = { note: f.note.trim() };
    if (f.photos.length) body.photos = f.photos.slice();
    await this.run(async () => {
      try {
        const wish = await wishesService.fulfilWish(this.id, body);
        this.setData({ fulfilling: false });
        return wish;
      } catch (err) {
        const fields = (err && err.fields) || {};
        this.setData({ fulfilError: fields.note || fields.photos || '' });
        throw err;
      }
    });
  },

  async onConfirm() {
    if (!this.can('confirm')) return;
    const thanks = await prompt('确认并致谢', '写一句感谢的话（可不填）', false);
    if (thanks === null) return;
    await this.run(() => wishesService.confirmWish(this.id, thanks));
    toast('感谢您的确认', 'success');
  }
});
