const rewards = require('../../../services/rewards');
const { formatPoints, formatDateTime } = require('../../../utils/format');
const { confirm, toast } = require('../../../utils/ui');
const { uuid4 } = require('../../../utils/uuid');
const careBehavior = require('../../../behaviors/care');

Page({
  behaviors: [careBehavior],
  data: {
    id: '',
    item: null,
    loading: true,
    error: '',
    redeeming: false
  },

  onLoad(query) {
    this.setData({ id: (query && query.id) || '' });
    return this.load();
  },

  async load() {
    this.setData({ loading: true, error: '' });
    try {
      const item = await rewards.getReward(this.data.id);
      this.setData({
        item: Object.assign({}, item, {
          priceText: String(formatPoints(item.price)),
          untilText: item.valid_until ? formatDateTime(item.valid_until) : '',
          limitText: item.limit_per_member ? '每人' + (item.limit_period === 'month' ? '每月' : '') + '限兑 ' + item.limit_per_member + ' 件' : ''
        }),
        loading: false
      });
    } catch (e) {
      this.setData({ loading: false, error: (e && e.message) || '加载失败' });
    }
  },

  /** 兑换: confirm first; one Idempotency-Key per confirmed redeem, kept for its retries. */
  async onRedeem() {
    const item = this.data.item;
    if (!item || item.sold_out || this.data.redeeming) return;
    const ok = await confirm('确认兑换', '将扣除 ' + item.priceText + ' 积分兑换「' + item.name + '」，凭兑换码到' + (item.pickup_place || '领取点') + '领取。', '兑换');
    if (!ok) return;
    if (!this.redeemKey) this.redeemKey = uuid4();
    this.setData({ redeeming: true });
    try {
      await rewards.redeemReward(item.id, this.redeemKey);
      this.redeemKey = null;
      toast('兑换成功', 'success');
      wx.redirectTo({ url: '/pkg-reward/pages/redemptions/redemptions' });
    } catch (e) {
      if (e && e.status && e.status < 500) this.redeemKey = null; // refused: a new try is a new request
      await this.load();
    } finally {
      this.setData({ redeeming: false });
    }
  }
});
