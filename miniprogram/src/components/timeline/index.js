const { actionText, formatDateTime, statusInfo } = require('../../utils/format');

Component({
  properties: {
    items: { type: Array, value: [] },
    newestFirst: { type: Boolean, value: true }
  },
  data: { rows: [] },
  observers: {
    'items, newestFirst'(items, newestFirst) {
      const list = (items || []).map((ev, i) => ({
        key: (ev.at || '') + '-' + i,
        title: actionText(ev.action),
        time: formatDateTime(ev.at),
        actor: ev.actor_name || '',
        note: ev.note || '',
        to: ev.to ? statusInfo(ev.to).text : ''
      }));
      if (newestFirst) list.reverse();
      this.setData({ rows: list });
    }
  }
});
