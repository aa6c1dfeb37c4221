jest.mock('../../src/services/me');
jest.mock('../../src/services/auth');
jest.mock('../../src/services/notifications');

const meService = require('../../src/services/me');
const authService = require('../../src/services/auth');

let appDef;
beforeAll(() => {
  global.App = (o) => {
    appDef = o;
  };
  require('../../src/app');
});

function makeApp() {
  const app = Object.assign({}, appDef, { globalData: { user: null } });
  Object.keys(appDef).forEach((k) => {
    if (typeof appDef[k] === 'function') app[k] = appDef[k].bind(app);
  });
  return app;
}

describe('app', () => {
  test('ready() logs in, loads /me once and shares the result', async () => {
    authService.wechatLogin.mockResolvedValue({ token: 't', expires_at: '2099-01-01T00:00:00Z', user: { id: 'u1' } });
    meService.getMe.mockResolvedValue({ id: 'u1', role: 'resident', name: '张' });
    const app = makeApp();
    const [a, b] = await Promise.all([app.ready(), app.ready()]);
    expect(a).toBe(b);
    expect(meService.getMe).toHaveBeenCalledTimes(1);
    expect(app.globalData.user.name).toBe('张');
    expect(wx.getStorageSync('tx_user').name).toBe('张');
  });

  test('a failed ready() is retried on the next call', async () => {
    wx.setStorageSync('tx_token', { token: 't', expires_at: '2099-01-01T00:00:00Z' });
    meService.getMe.mockRejectedValueOnce(new Error('网络不可用')).mockResolvedValueOnce({ id: 'u1' });
    const app = makeApp();
    await expect(app.ready()).rejects.toThrow();
    await expect(app.ready()).resolves.toEqual({ id: 'u1' });
  });

  test('logout after an erased account does not call POST /auth/logout (no 401 → re-login as a new user)', async () => {
    wx.setStorageSync('tx_token', { token: 't', expires_at: '2099-01-01T00:00:00Z' });
    const app = makeApp();
    app.globalData.user = { id: 'u1' };
    app.globalData.unread = 4;
    await app.logout({ remote: false });
    expect(authService.logout).not.toHaveBeenCalled();
    expect(app.globalData.user).toBeNull();
    expect(app.globalData.unread).toBe(0);
    expect(wx.getStorageSync('tx_token')).toBe('');
    expect(wx.getStorageSync('tx_logged_out')).toBe(true);
  });

  test('logout clears the user', async () => {
    wx.setStorageSync('tx_token', { token: 't', expires_at: '2099-01-01T00:00:00Z' });
    authService.logout.mockResolvedValue({ ok: true });
    const app = makeApp();
    app.globalData.user = { id: 'u1' };
    await app.logout();
    expect(authService.logout).toHaveBeenCalled();
    expect(app.globalData.user).toBeNull();
    expect(wx.getStorageSync('tx_token')).toBe('');
  });
});
