Component({
  properties: {
    loading: { type: Boolean, value: false },
    hasMore: { type: Boolean, value: false },
    count: { type: Number, value: 0 },
    error: { type: Boolean, value: false }
  },
  methods: {
    onRetry() {
      this.triggerEvent('retry');
    }
  }
});
