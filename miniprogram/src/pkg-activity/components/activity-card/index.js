/** One activity in a list: kind, title, time, place, places left, distance. */
Component({
  properties: {
    activity: { type: Object, value: {} }
  },
  methods: {
    onTap() {
      this.triggerEvent('select', { id: this.data.activity.id });
    }
  }
});
