const { statusInfo, ORDER_STATUS, REGISTRATION_STATUS } = require('../../utils/format');

Component({
  properties: {
    status: { type: String, value: '' },
    kind: { type: String, value: 'order' } // order | registration
  },
  data: { text: '', tone: 'muted' },
  observers: {
    'status, kind'(status, kind) {
      const info = statusInfo(status, kind === 'registration' ? REGISTRATION_STATUS : ORDER_STATUS);
      this.setData({ text: info.text, tone: info.tone });
    }
  }
});
