jest.mock('../../src/services/notifications');

const notificationsService = require('../../src/services/notifications');
const badge = require('../../src/utils/badge');
const { fakeApp, apiError } = require('../helpers/page');

describe('utils/badge', () => {
  test('badge text: empty for 0, 99+ above 99', () => {
    expect(badge.badgeText(0)).toBe('');
    expect(badge.badgeText(7)).toBe('7');
    expect(badge.badgeText(100)).toBe('99+');
  });

  test('logged out: no request, the tab badge is removed', async () => {
    fakeApp(null);
    await expect(badge.refresh()).resolves.toBe(0);
    expect(notificationsService.getUnreadCount).not.toHaveBeenCalled();
    expect(wx.removeTabBarBadge).toHaveBeenCalledWith(expect.objectContaining({ index: 2 }));
  });

  test('logged in: the count goes to the 我的 tab and globalData; a failure keeps the last count', async () => {
    const app = fakeApp({ id: 'u1' });
    wx.setStorageSync('tx_token', { token: 't', expires_at: '2099-01-01T00:00:00Z' });
    notificationsService.getUnreadCount.mockResolvedValueOnce({ count: 5 });
    await expect(badge.refresh()).resolves.toBe(5);
    expect(wx.setTabBarBadge).toHaveBeenCalledWith(expect.objectContaining({ index: 2, text: '5' }));
    expect(app.globalData.unread).toBe(5);
    notificationsService.getUnreadCount.mockRejectedValueOnce(apiError(0, '网络不可用，请稍后重试'));
    await expect(badge.refresh()).resolves.toBe(5);
  });

  test('a page without a tab bar: setTabBarBadge throwing is harmless', () => {
    fakeApp({ id: 'u1' });
    wx.setTabBarBadge = jest.fn(() => {
      throw new Error('setTabBarBadge:fail not TabBar page');
    });
    expect(badge.apply(3)).toBe(3);
  });
});
