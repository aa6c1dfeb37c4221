const TEXT = ['', '很差', '较差', '一般', '满意', '非常满意'];

Component({
  properties: {
    value: { type: Number, value: 0 },
    readonly: { type: Boolean, value: false },
    showText: { type: Boolean, value: true }
  },
  data: { stars: [1, 2, 3, 4, 5], current: 0, label: '' },
  observers: {
    value(v) {
      const n = Math.max(0, Math.min(5, Math.round(Number(v) || 0)));
      this.setData({ current: n, label: TEXT[n] });
    }
  },
  methods: {
    onTap(e) {
      if (this.data.readonly) return;
      const value = Number(e.currentTarget.dataset.value);
      this.setData({ current: value, label: TEXT[value] });
      this.triggerEvent('change', { value });
    }
  }
});
