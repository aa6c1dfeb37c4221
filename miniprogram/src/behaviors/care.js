/**
 * Care mode on a page: data.care (for the page's own care layout) and data.careStyle (the
 * <page-meta page-style> every page starts with: the CSS variables that scale text and darken muted
 * colours), kept in step with utils/care.js while the page lives; onCareSwitch for a <switch>.
 */
const care = require('../utils/care');

module.exports = Behavior({
  data: { care: false, careStyle: '' },
  lifetimes: {
    attached() {
      const apply = (on) => {
        if (this.data.care === on) return;
        this.setData({ care: on, careStyle: care.style(on) });
        // a page with a care layout of its own loads what it needs (the home: the community's phone)
        if (this.onCareChange) this.onCareChange(on);
      };
      apply(care.isOn());
      this._careOff = care.subscribe(apply);
    },
    detached() {
      if (this._careOff) this._careOff();
    }
  },
  methods: {
    onCareSwitch(e) {
      const value = !!(e && e.detail && e.detail.value);
      return care.set(value).then(
        () => wx.showToast({ title: value ? '已开启关怀模式' : '已关闭关怀模式', icon: 'none' }),
        () => null
      );
    }
  }
});
