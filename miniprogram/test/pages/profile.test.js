jest.mock('../../src/services/me');
jest.mock('../../src/services/orgs');
jest.mock('../../src/services/notifications');

const meService = require('../../src/services/me');
const orgsService = require('../../src/services/orgs');
const notificationsService = require('../../src/services/notifications');
const { createPage, flush, fakeApp, apiError, ev } = require('../helpers/page');

describe('profile page', () => {
  test('shows the user with role and balances; binds the phone', async () => {
    const app = fakeApp({ id: 'u1', role: 'member', name: '王强', has_phone: false, points_balance: 12, hours_balance: 3.5, org_name: '一支部' });
    const page = createPage('pages/profile/profile');
    page.onLoad();
    await flush();
    expect(page.data).toMatchObject({ roleText: '志愿队员', member: true, manager: false, pointsText: '12', hoursText: '3.5', loggedOut: false });
    meService.bindPhone.mockResolvedValue(Object.assign({}, app.globalData.user, { has_phone: true, phone: '138****0000' }));
    await page.onGetPhoneNumber({ detail: { code: 'c' } });
    expect(meService.bindPhone).toHaveBeenCalledWith('c');
    expect(app.setUser).toHaveBeenCalled();
    expect(page.data.user.phone).toBe('138****0000');
  });

  test('logout after confirmation switches to the logged-out state', async () => {
    const app = fakeApp({ id: 'u1', role: 'secretary' });
    const page = createPage('pages/profile/profile');
    page.onLoad();
    await flush();
    expect(page.data.manager).toBe(true);
    await page.onLogout();
    expect(app.logout).toHaveBeenCalled();
    expect(page.data.loggedOut).toBe(true);
    expect(page.data.user).toBeNull();
  });

  test('a failed login shows the login prompt; logging in from it loads the user', async () => {
    const app = fakeApp(null);
    app.ready.mockRejectedValue(apiError(0, '网络不可用，请稍后重试'));
    const page = createPage('pages/profile/profile');
    await page.load();
    expect(page.data.loggedOut).toBe(true);
    app.login.mockResolvedValue({ id: 'u1', role: 'resident', name: '张' });
    await page.onLogin();
    expect(page.data.loggedOut).toBe(false);
    expect(page.data.user.name).toBe('张');
  });

  test('the 双报到 entry is shown only to members of a work-unit branch', async () => {
    for (const [orgKind, shown] of [['unit', true], ['community', false], [null, false], [undefined, false]]) {
      fakeApp({ id: 'u1', role: 'member', name: '王建国', org_kind: orgKind });
      const page = createPage('pages/profile/profile');
      page.onLoad();
      await flush();
      expect(page.data.member).toBe(true);
      expect(page.data.unitBranch).toBe(shown);
    }
  });

  test('the privacy notice is reachable', () => {
    fakeApp({ id: 'u1', role: 'resident' });
    const page = createPage('pages/profile/profile');
    page.onNavigate(ev({ url: '/pages/privacy/privacy' }));
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/privacy/privacy' });
  });
});

function loggedIn() {
  wx.setStorageSync('tx_token', { token: 't', expires_at: '2099-01-01T00:00:00Z' });
}

async function openProfile(user) {
  const app = fakeApp(user || { id: 'u1', role: 'member', name: '王强' });
  loggedIn();
  notificationsService.getUnreadCount.mockResolvedValue({ count: 0 });
  const page = createPage('pages/profile/profile');
  page.onLoad();
  await flush();
  return { app, page };
}

const EXPORT = {
  user: { id: 'u1', name: '王强' },
  orders_placed: [{ id: 'o1' }, { id: 'o2' }],
  orders_served: [{ id: 'o3' }],
  member_registrations: [{ id: 'r1' }],
  ledger_entries: [{ id: 'l1' }, { id: 'l2' }, { id: 'l3' }],
  active_sessions: 1,
  notifications: [],
  subscriptions: [],
  exported_at: '2025-03-01T08:30:00Z'
};

describe('profile: unread badge', () => {
  test('the 消息通知 cell and the 我的 tab show the unread count, refreshed on show', async () => {
    const { page } = await openProfile();
    notificationsService.getUnreadCount.mockResolvedValue({ count: 120 });
    page.onShow();
    await flush();
    expect(page.data.unread).toBe(120);
    expect(wx.setTabBarBadge).toHaveBeenLastCalledWith(expect.objectContaining({ index: 2, text: '99+' }));
    page.onNavigate(ev({ url: '/pages/notifications/index' }));
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/notifications/index' });
  });

  test('an unread-count failure is silent and keeps the last count', async () => {
    const { page } = await openProfile();
    notificationsService.getUnreadCount.mockResolvedValueOnce({ count: 3 });
    await page.refreshUnread();
    notificationsService.getUnreadCount.mockRejectedValueOnce(apiError(0, '网络不可用，请稍后重试'));
    await page.refreshUnread();
    expect(page.data.unread).toBe(3);
  });
});

describe('profile: export my data', () => {
  test('shows counts of orders and ledger entries; copies the JSON', async () => {
    const { page } = await openProfile();
    meService.exportMyData.mockResolvedValue(EXPORT);
    await page.onExport();
    expect(wx.showLoading).toHaveBeenCalled();
    expect(wx.hideLoading).toHaveBeenCalled();
    expect(page.data.exportSummary).toMatchObject({ ordersPlaced: 2, ordersServed: 1, ledger: 3, registrations: 1, notifications: 0, sessions: 1, exportedText: '2025-03-01 16:30' });
    page.onCopyExport();
    const copied = wx.setClipboardData.mock.calls[0][0].data;
    expect(JSON.parse(copied)).toEqual(EXPORT);
  });

  test('saves the JSON to a user file and offers to send it', async () => {
    const { page } = await openProfile();
    meService.exportMyData.mockResolvedValue(EXPORT);
    await page.onExport();
    page.onSaveExport();
    const path = 'wxfile://usr/tongxin-my-data-2025-03-01.json';
    expect(JSON.parse(wx.__files.get(path))).toEqual(EXPORT);
    expect(wx.shareFileMessage).toHaveBeenCalledWith(expect.objectContaining({ filePath: path, fileName: 'tongxin-my-data-2025-03-01.json' }));
  });

  test('an export failure leaves no summary (the request layer shows why)', async () => {
    const { page } = await openProfile();
    meService.exportMyData.mockRejectedValue(apiError(503, '服务暂不可用，请稍后重试'));
    await page.onExport();
    expect(page.data.exportSummary).toBeNull();
    expect(page.data.exporting).toBe(false);
    expect(wx.hideLoading).toHaveBeenCalled();
  });
});

describe('profile: erase my account', () => {
  test('cancelling the first confirmation sends nothing', async () => {
    const { page } = await openProfile();
    wx.answerModal({ confirm: false });
    await page.onErase();
    expect(meService.eraseMe).not.toHaveBeenCalled();
    expect(wx.showModal.mock.calls[0][0].content).toMatch(/匿名/);
  });

  test('cancelling the second confirmation sends nothing', async () => {
    const { page } = await openProfile();
    wx.answerModal({ confirm: true }, { confirm: false });
    await page.onErase();
    expect(wx.showModal).toHaveBeenCalledTimes(2);
    expect(meService.eraseMe).not.toHaveBeenCalled();
  });

  test('a 409 shows the server\'s Chinese message and keeps the user logged in', async () => {
    const { app, page } = await openProfile();
    meService.eraseMe.mockRejectedValue(apiError(409, '您还有在办的服务工单，请先完成或退回后再注销'));
    wx.answerModal({ confirm: true }, { confirm: true }, { confirm: true });
    await page.onErase();
    expect(meService.eraseMe).toHaveBeenCalledTimes(1);
    const shown = wx.showModal.mock.calls[2][0];
    expect(shown).toMatchObject({ content: '您还有在办的服务工单，请先完成或退回后再注销', showCancel: false });
    expect(app.logout).not.toHaveBeenCalled();
    expect(page.data.loggedOut).toBe(false);
    expect(page.data.erasing).toBe(false);
    expect(wx.reLaunch).not.toHaveBeenCalled();
  });

  test('after both confirmations: DELETE /me, local logout without calling the server, home', async () => {
    const { app, page } = await openProfile();
    wx.setStorageSync('tx_last_order_org', { id: 'org-1' });
    meService.eraseMe.mockResolvedValue({ ok: true, erased_at: '2025-03-01T08:30:00Z', cancelled_orders: 1 });
    await page.onErase();
    expect(meService.eraseMe).toHaveBeenCalledTimes(1);
    expect(app.logout).toHaveBeenCalledWith({ remote: false });
    expect(wx.getStorageSync('tx_last_order_org')).toBe('');
    expect(wx.getStorageSync('tx_token')).toBe('');
    expect(page.data.loggedOut).toBe(true);
    expect(wx.showModal.mock.calls[2][0].content).toMatch(/已取消 1 个/);
    expect(wx.reLaunch).toHaveBeenCalledWith({ url: '/pages/index/index' });
  });
});

describe('organisation picker page', () => {
  test('starts at the roots, walks down with ?parent=, goes back by breadcrumb, returns a selectable node', async () => {
    orgsService.getOrgTree.mockResolvedValue({ items: [{ id: 'city', name: '某市', type: 'city', children: [{ id: 'd1' }] }] });
    orgsService.listOrgChildren.mockResolvedValueOnce({ items: [{ id: 'c1', name: '和平社区', type: 'community', has_children: true }] });
    orgsService.listOrgChildren.mockResolvedValueOnce({ items: [{ id: 'b1', name: '第一支部', type: 'branch', has_children: false }] });
    const opener = { emit: jest.fn() };
    const page = createPage('pages/org-select/org-select', { opener });
    page.onLoad({ types: 'branch', title: encodeURIComponent('选择报到支部') });
    await flush();
    expect(wx.setNavigationBarTitle).toHaveBeenCalledWith({ title: '选择报到支部' });
    expect(page.data.list.items[0]).toMatchObject({ id: 'city', hasChildren: true, selectable: false });
    await page.onOpen(ev({ index: 0 }));
    expect(orgsService.listOrgChildren).toHaveBeenLastCalledWith('city');
    expect(page.data.list.items[0]).toMatchObject({ id: 'c1', selectable: false });
    await page.onOpen(ev({ index: 0 }));
    expect(orgsService.listOrgChildren).toHaveBeenLastCalledWith('c1');
    expect(page.data.path.map((p) => p.id)).toEqual(['city', 'c1']);
    page.onChoose(ev({ index: 0 }));
    expect(opener.emit).toHaveBeenCalledWith('selected', { id: 'b1', name: '第一支部', type: 'branch' });
    expect(wx.navigateBack).toHaveBeenCalled();

    orgsService.getOrgTree.mockResolvedValue({ items: [] });
    await page.onCrumb(ev({ depth: 0 }));
    expect(page.data.path).toEqual([]);
    expect(page.data.list.loaded).toBe(true);
  });

  test('a node of the wrong type cannot be chosen', async () => {
    orgsService.getOrgTree.mockResolvedValue({ items: [{ id: 's1', name: '街道', type: 'street', has_children: false }] });
    const opener = { emit: jest.fn() };
    const page = createPage('pages/org-select/org-select', { opener });
    page.onLoad({ types: 'community,branch' });
    await flush();
    page.onChoose(ev({ index: 0 }));
    await page.onOpen(ev({ index: 0 }));
    expect(opener.emit).not.toHaveBeenCalled();
  });
});
