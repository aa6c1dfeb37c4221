const { formatDateTime } = require('../../utils/format');

Component({
  options: { multipleSlots: true },
  properties: {
    order: { type: Object, value: {} },
    compact: { type: Boolean, value: false }
  },
  data: { view: {} },
  observers: {
    order(o) {
      const order = o || {};
      const distance = order.distance_km === undefined || order.distance_km === null ? '' : Number(order.distance_km).toFixed(1) + ' km';
      this.setData({
        view: {
          category: order.category_name || '服务需求',
          created: formatDateTime(order.created_at),
          wanted: formatDateTime(order.wanted_at),
          due: formatDateTime(order.due_at),
          distance,
          points: order.points || 0
        }
      });
    }
  },
  methods: {
    onTap() {
      this.triggerEvent('select', { id: this.data.order.id });
    }
  }
});
