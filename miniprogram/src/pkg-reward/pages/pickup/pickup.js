const rewards = require('../../../services/rewards');
const { toast } = require('../../../utils/ui');
const careBehavior = require('../../../behaviors/care');

/** The QR shows "TXR:<code>"; a typed code is taken as it is (case and spaces do not matter). */
function codeFrom(text) {
  const raw = String(text || '').trim();
  return (raw.toUpperCase().startsWith('TXR:') ? raw.slice(4) : raw).replace(/[^0-9a-z]/gi, '').toUpperCase();
}

Page({
  behaviors: [careBehavior],
  data: {
    code: '',
    busy: false,
    last: null,
    error: ''
  },

  onInput(e) {
    this.setData({ code: e.detail.value, error: '' });
  },

  onScan() {
    wx.scanCode({
      onlyFromCamera: true,
      scanType: ['qrCode'],
      success: (res) => {
        this.setData({ code: codeFrom(res.result) });
        this.onSubmit();
      }
    });
  },

  /** 核销: a code is picked up once; a code of another site is not found. */
  async onSubmit() {
    const code = codeFrom(this.data.code);
    if (code.length < 4) {
      this.setData({ error: '请输入兑换码' });
      return;
    }
    if (this.data.busy) return;
    this.setData({ busy: true, error: '' });
    try {
      const r = await rewards.pickupRedemption(code);
      this.setData({ last: r, code: '' });
      toast('核销成功', 'success');
    } catch (e) {
      this.setData({ error: (e && e.message) || '核销失败' });
    } finally {
      this.setData({ busy: false });
    }
  }
});
