jest.mock('../../src/services/rewards');
jest.mock('../../src/services/points');

const rewards = require('../../src/services/rewards');
const pointsService = require('../../src/services/points');
const { createPage, flush, fakeApp, apiError, ev } = require('../helpers/page');

function item(extra) {
  return Object.assign(
    {
      id: 'i1',
      name: '洗衣液 2kg',
      price: 20,
      stock: 3,
      sold_out: false,
      status_text: '剩余 3 件',
      in_period: true,
      photos: [],
      merchant: '阳光超市',
      pickup_place: '党群服务中心',
      pickup_hours: '工作日 9:00-17:00',
      limit_per_member: 1,
      limit_period: 'month'
    },
    extra
  );
}

function redemption(extra) {
  return Object.assign(
    {
      id: 'r1',
      item_name: '洗衣液 2kg',
      price: 20,
      status: 'reserved',
      status_text: '待领取',
      code: '7KQ2M9XD',
      qr: 'data:image/svg+xml;charset=utf-8,%3Csvg%3E',
      pickup_place: '党群服务中心',
      pickup_hours: '工作日',
      created_at: '2026-12-01T02:00:00Z',
      expires_at: '2026-12-15T02:00:00Z'
    },
    extra
  );
}

describe('积分商城: the mall of my community', () => {
  beforeEach(() => fakeApp({ id: 'u1', role: 'member', name: '王强' }));

  test('lists the items with the balance and the expiry notice; sold-out items say so', async () => {
    rewards.listRewards.mockResolvedValue({ items: [item(), item({ id: 'i2', sold_out: true, status_text: '已兑完' })], next_cursor: null });
    pointsService.getMyPoints.mockResolvedValue({ points_balance: 70, expiry_notice: '50 积分将于 2026-12-31 到期' });
    const page = createPage('pkg-reward/pages/mall/mall');
    await page.onLoad();
    expect(rewards.listRewards).toHaveBeenCalledWith({ cursor: undefined, limit: 20 });
    expect(page.data.balanceText).toBe('70');
    expect(page.data.expiryNotice).toBe('50 积分将于 2026-12-31 到期');
    expect(page.data.list.items.map((i) => i.status_text)).toEqual(['剩余 3 件', '已兑完']);
    page.onOpen(ev({ id: 'i2' }));
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pkg-reward/pages/item/item?id=i2' });
  });
});

describe('积分商城: item page and redeem', () => {
  beforeEach(() => fakeApp({ id: 'u1', role: 'member' }));

  test('redeem asks first; cancelling the dialog redeems nothing', async () => {
    rewards.getReward.mockResolvedValue(item());
    const page = createPage('pkg-reward/pages/item/item');
    await page.onLoad({ id: 'i1' });
    expect(page.data.item.limitText).toBe('每人每月限兑 1 件');
    wx.answerModal({ confirm: false });
    await page.onRedeem();
    expect(rewards.redeemReward).not.toHaveBeenCalled();
  });

  test('a retried redeem reuses its Idempotency-Key; success opens my redemptions', async () => {
    rewards.getReward.mockResolvedValue(item());
    const page = createPage('pkg-reward/pages/item/item');
    await page.onLoad({ id: 'i1' });
    rewards.redeemReward.mockRejectedValueOnce(apiError(0, '网络不可用，请稍后重试'));
    await page.onRedeem();
    const firstKey = rewards.redeemReward.mock.calls[0][1];
    expect(firstKey).toMatch(/^[0-9a-f-]{36}$/);
    rewards.redeemReward.mockResolvedValueOnce(redemption());
    await page.onRedeem();
    expect(rewards.redeemReward.mock.calls[1]).toEqual(['i1', firstKey]);
    expect(wx.redirectTo).toHaveBeenCalledWith({ url: '/pkg-reward/pages/redemptions/redemptions' });
    // a later redeem is a new request
    await page.onRedeem();
    expect(rewards.redeemReward.mock.calls[2][1]).not.toBe(firstKey);
  });

  test('a refusal (sold out) reloads the item and drops the key', async () => {
    rewards.getReward.mockResolvedValueOnce(item()).mockResolvedValueOnce(item({ sold_out: true, stock: 0, status_text: '已兑完' }));
    const page = createPage('pkg-reward/pages/item/item');
    await page.onLoad({ id: 'i1' });
    rewards.redeemReward.mockRejectedValueOnce(apiError(409, '已兑完'));
    await page.onRedeem();
    expect(page.data.item.sold_out).toBe(true);
    expect(page.redeemKey).toBeNull();
    await page.onRedeem();
    expect(rewards.redeemReward).toHaveBeenCalledTimes(1); // a sold-out item is not redeemed
  });
});

describe('积分商城: my redemptions', () => {
  beforeEach(() => fakeApp({ id: 'u1', role: 'member' }));

  test('shows the code and QR of an open redemption, none for a finished one', async () => {
    rewards.listRedemptions.mockResolvedValue({ items: [redemption(), redemption({ id: 'r2', status: 'picked_up', status_text: '已领取' })], next_cursor: null });
    const page = createPage('pkg-reward/pages/redemptions/redemptions');
    await page.onLoad();
    await flush();
    expect(rewards.listRedemptions).toHaveBeenCalledWith({ scope: 'mine', cursor: undefined, limit: 20 });
    expect(page.data.list.items.map((r) => r.open)).toEqual([true, false]);
    page.onCopy(ev({ code: '7KQ2M9XD' }));
    expect(wx.setClipboardData).toHaveBeenCalledWith(expect.objectContaining({ data: '7KQ2M9XD' }));
  });

  test('cancel after confirmation, then the list is reloaded', async () => {
    rewards.listRedemptions.mockResolvedValue({ items: [redemption()], next_cursor: null });
    rewards.cancelRedemption.mockResolvedValue(redemption({ status: 'cancelled' }));
    const page = createPage('pkg-reward/pages/redemptions/redemptions');
    await page.onLoad();
    wx.answerModal({ confirm: false });
    await page.onCancel(ev({ id: 'r1' }));
    expect(rewards.cancelRedemption).not.toHaveBeenCalled();
    rewards.listRedemptions.mockResolvedValue({ items: [redemption({ status: 'cancelled', status_text: '已取消' })], next_cursor: null });
    await page.onCancel(ev({ id: 'r1' }));
    expect(rewards.cancelRedemption).toHaveBeenCalledWith('r1');
    expect(page.data.list.items[0].open).toBe(false);
  });
});

describe('兑换核销 (staff, merchants)', () => {
  beforeEach(() => fakeApp({ id: 's1', role: 'merchant' }));

  test('a scanned QR is picked up at once; a typed code is normalised', async () => {
    rewards.pickupRedemption.mockResolvedValue(redemption({ status: 'picked_up', member_name: '王强' }));
    const page = createPage('pkg-reward/pages/pickup/pickup');
    wx.scanCode = jest.fn((o) => o.success({ result: 'TXR:7KQ2M9XD' }));
    page.onScan();
    await flush();
    expect(rewards.pickupRedemption).toHaveBeenCalledWith('7KQ2M9XD');
    expect(page.data.last.member_name).toBe('王强');
    page.onInput(ev({}, { value: ' 7kq2-m9xd ' }));
    await page.onSubmit();
    expect(rewards.pickupRedemption).toHaveBeenLastCalledWith('7KQ2M9XD');
  });

  test('an empty code is not sent; a refusal is shown', async () => {
    const page = createPage('pkg-reward/pages/pickup/pickup');
    await page.onSubmit();
    expect(rewards.pickupRedemption).not.toHaveBeenCalled();
    expect(page.data.error).toBe('请输入兑换码');
    rewards.pickupRedemption.mockRejectedValue(apiError(409, '该兑换已领取，不能再操作'));
    page.onInput(ev({}, { value: '7KQ2M9XD' }));
    await page.onSubmit();
    expect(page.data.error).toBe('该兑换已领取，不能再操作');
  });
});
