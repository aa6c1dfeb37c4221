jest.mock('../../src/services/me');
jest.mock('../../src/services/orgs');

const meService = require('../../src/services/me');
const orgsService = require('../../src/services/orgs');
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

  test('the privacy notice is reachable', () => {
    fakeApp({ id: 'u1', role: 'resident' });
    const page = createPage('pages/profile/profile');
    page.onNavigate(ev({ url: '/pages/privacy/privacy' }));
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/privacy/privacy' });
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
