Component({
  properties: {
    text: { type: String, value: '暂无内容' },
    hint: { type: String, value: '' },
    actionText: { type: String, value: '' },
    loading: { type: Boolean, value: false }
  },
  methods: {
    onAction() {
      this.triggerEvent('action');
    }
  }
});
