const { statusInfo, ORDER_STATUS, STATUS_TABLES } = require('../../utils/format');

Component({
  properties: {
    status: { type: String, value: '' },
    kind: { type: String, value: 'order' } // order | registration | report | transfer | certificate
  },
  data: { text: '', tone: 'muted' },
  observers: {
    'status, kind'(status, kind) {
      const info = statusInfo(status, STATUS_TABLES[kind] || ORDER_STATUS);
      this.setData({ text: info.text, tone: info.tone });
    }
  }
});
