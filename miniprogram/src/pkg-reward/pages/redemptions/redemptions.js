const rewards = require('../../../services/rewards');
const { ListController, emptyList } = require('../../../utils/list');
const { formatDateTime } = require('../../../utils/format');
const { confirm, toast } = require('../../../utils/ui');
const careBehavior = require('../../../behaviors/care');

function decorate(r) {
  return Object.assign({}, r, {
    createdText: formatDateTime(r.created_at),
    expiresText: formatDateTime(r.expires_at),
    open: r.status === 'reserved'
  });
}

Page({
  behaviors: [careBehavior],
  data: {
    list: emptyList(),
    busy: ''
  },

  onLoad() {
    this.list = new ListController(this, 'list', (p) => rewards.listRedemptions({ scope: 'mine', cursor: p.cursor || undefined, limit: p.limit }), { map: decorate });
    return this.list.refresh();
  },

  onPullDownRefresh() {
    return this.list.refresh();
  },

  onReachBottom() {
    return this.list.loadMore();
  },

  onRetry() {
    return this.list.refresh();
  },

  /** 取消 before pick-up: the points and the stock go back. */
  async onCancel(e) {
    const id = e.currentTarget.dataset.id;
    if (this.data.busy) return;
    const ok = await confirm('取消兑换', '取消后积分将退回您的账户。', '取消兑换', { cancelText: '再想想' });
    if (!ok) return;
    this.setData({ busy: id });
    try {
      await rewards.cancelRedemption(id);
      toast('已取消，积分已退回');
    } catch (err) {
      // the toast of utils/request says why; the list shows the current state
    } finally {
      this.setData({ busy: '' });
      await this.list.refresh();
    }
  },

  onCopy(e) {
    wx.setClipboardData({ data: e.currentTarget.dataset.code });
  }
});
