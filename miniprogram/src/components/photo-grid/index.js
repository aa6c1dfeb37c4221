/**
 * <photo-grid photos="{{wish.photos}}" />
 * The photos an API answer carries ({id, url, thumb_url, width, height}, signed paths) as
 * thumbnails; a tap opens every full image of the list in wx.previewImage (as the order page).
 */
const { withAbsoluteUrls } = require('../../utils/upload');

Component({
  properties: {
    photos: { type: Array, value: [] }
  },
  data: { items: [] },
  observers: {
    photos(photos) {
      this.setData({ items: (photos || []).filter((p) => p && p.thumb_url).map(withAbsoluteUrls) });
    }
  },
  methods: {
    onPreview(e) {
      wx.previewImage({ urls: this.data.items.map((p) => p.url), current: e.currentTarget.dataset.url });
    }
  }
});
