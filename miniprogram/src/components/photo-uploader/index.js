/**
 * <photo-uploader max="9" bind:change="onPhotos" />
 * Chooses photos and uploads each at once (wx.uploadFile via utils/upload) with a progress
 * ring, a retry button when it failed and the server's message when it was refused.
 * Emits change {ids, busy}: the media ids uploaded so far (in order) and whether any is
 * still uploading — the page sends `ids` as `photos` and waits while `busy`.
 */
const { uploadImage } = require('../../utils/upload');

let serial = 0;

Component({
  properties: {
    max: { type: Number, value: 9 }
  },
  data: { items: [] },
  methods: {
    emit() {
      const items = this.data.items;
      this.triggerEvent('change', {
        ids: items.filter((i) => i.status === 'done').map((i) => i.id),
        busy: items.some((i) => i.status === 'uploading')
      });
    },
    update(key, patch) {
      const items = this.data.items.map((i) => (i.key === key ? Object.assign({}, i, patch) : i));
      this.setData({ items });
    },
    async upload(key, path) {
      this.update(key, { status: 'uploading', progress: 0, error: '' });
      this.emit();
      try {
        const photo = await uploadImage(path, {
          onProgress: (progress) => this.update(key, { progress })
        });
        this.update(key, { status: 'done', progress: 100, id: photo.id, thumb: photo.thumb_url || path });
      } catch (err) {
        const refused = err && err.status >= 400 && err.status < 500;
        this.update(key, { status: refused ? 'refused' : 'failed', error: (err && err.message) || '上传失败' });
        if (refused) wx.showToast({ title: err.message, icon: 'none', duration: 2500 });
      }
      this.emit();
    },
    onChoose() {
      const left = this.data.max - this.data.items.length;
      if (left <= 0) return;
      wx.chooseMedia({
        count: left,
        mediaType: ['image'],
        sourceType: ['album', 'camera'],
        sizeType: ['compressed'],
        success: (res) => {
          const paths = (res.tempFiles || []).map((f) => f.tempFilePath).filter(Boolean).slice(0, left);
          const added = paths.map((path) => ({ key: 'p' + (serial += 1), path, thumb: path, status: 'uploading', progress: 0, id: '', error: '' }));
          this.setData({ items: this.data.items.concat(added) });
          added.forEach((item) => this.upload(item.key, item.path));
        }
      });
    },
    onRetry(e) {
      const item = this.data.items.find((i) => i.key === e.currentTarget.dataset.key);
      if (item) this.upload(item.key, item.path);
    },
    onRemove(e) {
      const key = e.currentTarget.dataset.key;
      this.setData({ items: this.data.items.filter((i) => i.key !== key) });
      this.emit();
    },
    onPreview(e) {
      const urls = this.data.items.map((i) => i.path);
      wx.previewImage({ urls, current: e.currentTarget.dataset.url });
    }
  }
});
