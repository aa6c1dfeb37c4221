/**
 * 关怀模式 (care mode): the switch on the home and the profile (rendered with miniprogram-simulate,
 * the real WXML and behaviour), saved with PATCH /me and followed at once by every open page; the
 * care home's three big actions and the community's phone; voice input and its fallback.
 */
jest.mock('../../src/services/me');
jest.mock('../../src/services/orgs');
jest.mock('../../src/services/orders');
jest.mock('../../src/services/categories');

const path = require('path');
// the real Behavior/Component constructors (globals.js gave a plain-object Behavior for createPage)
const simulate = require('miniprogram-simulate');

const meService = require('../../src/services/me');
const orgsService = require('../../src/services/orgs');
const ordersService = require('../../src/services/orders');
const categoriesService = require('../../src/services/categories');
const { createPage, flush, fakeApp, apiError, ev, SRC } = require('../helpers/page');

const TREE = {
  items: [
    {
      id: 'street',
      name: '幸福街道',
      type: 'street',
      parent_id: null,
      phone: null,
      children: [
        {
          id: 'comm-a',
          name: '阳光社区',
          type: 'community',
          parent_id: 'street',
          phone: '010-65012345',
          children: [{ id: 'branch-a1', name: '阳光社区第一党支部', type: 'branch', parent_id: 'comm-a', phone: null, children: [] }]
        },
        { id: 'comm-b', name: '春风社区', type: 'community', parent_id: 'street', phone: null, children: [] }
      ]
    }
  ]
};

const RESIDENT = { id: 'u1', role: 'resident', name: '林阿姨', has_phone: true, phone: '13900000001', org_id: null, care_mode: false };

/**
 * Renders pages of src/ with the real WXML (Page() as a component, as WeChat builds pages), all in
 * one fresh module registry: they share one care store, as the pages of the app do.
 */
function renderPages(rels) {
  global.Page = (opts) => {
    const methods = {};
    const data = {};
    Object.keys(opts).forEach((k) => {
      if (typeof opts[k] === 'function') methods[k] = opts[k];
      else if (k === 'data') Object.assign(data, JSON.parse(JSON.stringify(opts.data || {})));
    });
    global.Component({ data, methods, behaviors: opts.behaviors || [] });
  };
  const ids = [];
  jest.isolateModules(() => {
    rels.forEach((rel) => ids.push(simulate.load(path.join(SRC, rel), 'page', { rootPath: SRC })));
  });
  return ids.map((id) => {
    const comp = simulate.render(id, {});
    comp.attach(document.createElement('parent-wrapper'));
    return comp;
  });
}

describe('care mode switch (rendered pages)', () => {
  test('the profile switch saves care_mode and every open page follows at once', async () => {
    // both pages share one store: load them in one module registry with the store
    const app = fakeApp(RESIDENT);
    meService.updateMe.mockImplementation((body) => Promise.resolve(Object.assign({}, RESIDENT, body)));
    const [profile, home] = renderPages(['pages/profile/profile', 'pages/index/index']);
    profile.instance.setData({ loading: false, loggedOut: false, user: RESIDENT });
    await simulate.sleep(0);

    const sw = profile.querySelector('.care-toggle');
    expect(sw).toBeTruthy();
    expect(profile.instance.data.care).toBe(false);
    expect(home.dom.textContent).not.toContain('打电话给社区');

    sw.dispatchEvent('change', { detail: { value: true } });
    await flush();
    await simulate.sleep(0);
    expect(meService.updateMe).toHaveBeenCalledWith({ care_mode: true });
    expect(app.setUser).toHaveBeenCalledWith(expect.objectContaining({ care_mode: true }));
    expect(profile.instance.data.careStyle).toContain('--care-scale:1.3');
    // the home page, already open, shows its care layout without being reloaded
    expect(home.instance.data.care).toBe(true);
    expect(home.dom.textContent).toContain('我要帮忙');
    expect(home.dom.textContent).toContain('我的工单');
    expect(home.dom.textContent).toContain('打电话给社区');
    expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: '已开启关怀模式' }));

    profile.detach();
    home.detach();
  });

  test('a refused save puts the previous mode back on every page', async () => {
    fakeApp(RESIDENT);
    meService.updateMe.mockRejectedValue(apiError(503, '服务暂不可用'));
    const [profile] = renderPages(['pages/profile/profile']);
    profile.instance.setData({ loading: false, user: RESIDENT });
    await simulate.sleep(0);
    profile.querySelector('.care-toggle').dispatchEvent('change', { detail: { value: true } });
    await flush();
    await simulate.sleep(0);
    expect(meService.updateMe).toHaveBeenCalledWith({ care_mode: true });
    expect(profile.instance.data.care).toBe(false);
    expect(profile.instance.data.careStyle).toBe('');
    profile.detach();
  });
});

describe('care store (utils/care)', () => {
  let care;
  beforeEach(() => {
    jest.isolateModules(() => {
      care = require('../../src/utils/care');
    });
  });

  test('the saved setting of the account decides; listeners hear changes only', () => {
    const heard = [];
    const off = care.subscribe((on) => heard.push(on));
    care.applyUser({ care_mode: false });
    care.applyUser({ care_mode: true });
    care.applyUser({ care_mode: true });
    care.applyUser(null);
    off();
    care.applyUser({ care_mode: true });
    expect(heard).toEqual([true, false]);
    expect(care.isOn()).toBe(true);
    expect(care.style(true)).toMatch(/--care-scale:\d/);
    expect(care.style(false)).toBe('');
  });

  test("the app applies the cached user at launch, then the account's setting from the server", async () => {
    meService.getMe.mockResolvedValue(Object.assign({}, RESIDENT, { care_mode: false }));
    wx.setStorageSync('tx_user', Object.assign({}, RESIDENT, { care_mode: true }));
    wx.setStorageSync('tx_token', { token: 't', expires_at: '' });
    let appDef;
    let careHere;
    global.App = (o) => {
      appDef = o;
    };
    jest.isolateModules(() => {
      require('../../src/app.js');
      careHere = require('../../src/utils/care');
    });
    global.getApp = () => appDef;
    appDef.onLaunch();
    expect(careHere.isOn()).toBe(true); // before the network answers
    await appDef.ready();
    expect(careHere.isOn()).toBe(false); // the account says off (changed on another phone)
  });
});

describe('care home: three big actions', () => {
  beforeEach(() => {
    wx.makePhoneCall = jest.fn();
    categoriesService.listCategories.mockResolvedValue({ items: [] });
    orgsService.getOrgTree.mockResolvedValue(TREE);
  });

  async function careHome(user, recent) {
    fakeApp(user);
    ordersService.listOrders.mockResolvedValue({ items: recent || [], next_cursor: null });
    const page = createPage('pages/index/index');
    page.data.care = true; // set by behaviors/care.js on a rendered page
    await page.load();
    return page;
  }

  test("我要帮忙 opens the order form, 我的工单 the orders tab", async () => {
    const page = await careHome(RESIDENT);
    page.onCreateOrder();
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/order-create/order-create' });
    page.onAllOrders();
    expect(wx.switchTab).toHaveBeenCalledWith({ url: '/pages/orders/orders' });
  });

  test("打电话给社区 dials the phone of the community of the latest order (a branch's community)", async () => {
    const page = await careHome(RESIDENT, [{ id: 'o1', status: 'submitted', org_id: 'branch-a1', actions: [], timeline: [] }]);
    expect(page.data.contact).toEqual({ name: '阳光社区', phone: '010-65012345' });
    page.onCallCommunity();
    expect(wx.makePhoneCall).toHaveBeenCalledWith(expect.objectContaining({ phoneNumber: '01065012345' }));
  });

  test('a member calls the community of their own branch', async () => {
    const page = await careHome(Object.assign({}, RESIDENT, { role: 'member', org_id: 'branch-a1' }));
    expect(page.data.contact.phone).toBe('010-65012345');
  });

  test('with no community known, the call asks to choose one first and remembers it', async () => {
    const page = await careHome(RESIDENT, []);
    expect(page.data.contact).toBe(null);
    page.onCallCommunity();
    expect(wx.makePhoneCall).not.toHaveBeenCalled();
    const nav = wx.navigateTo.mock.calls[0][0];
    expect(nav.url).toMatch(/^\/pages\/org-select\/org-select\?types=community/);
    nav.events.selected({ id: 'comm-a', name: '阳光社区' });
    await flush();
    await flush();
    expect(wx.setStorageSync).toHaveBeenCalledWith('tx_last_order_org', { id: 'comm-a', name: '阳光社区' });
    expect(page.data.contact).toEqual({ name: '阳光社区', phone: '010-65012345' });
  });

  test('a community without a phone says so', async () => {
    const page = await careHome(RESIDENT, []);
    page.onCallCommunity();
    wx.navigateTo.mock.calls[0][0].events.selected({ id: 'comm-b', name: '春风社区' });
    await flush();
    await flush();
    expect(page.data.contact).toBe(null);
    expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: '该社区还没有登记服务电话' }));
  });
});

describe('voice input on the order form', () => {
  afterEach(() => {
    delete global.requirePlugin;
  });

  function orderForm() {
    fakeApp(RESIDENT);
    categoriesService.listCategories.mockResolvedValue({ items: [] });
    // utils/voice remembers whether the plugin was found: look again for this test
    require('../../src/utils/voice').reset();
    return createPage('pages/order-create/order-create');
  }

  test('without the speech plugin: a clear message, typing still works', async () => {
    const page = orderForm();
    page.onShow();
    expect(page.data.voice).toBe('unavailable');
    page.onVoiceStart();
    expect(wx.showModal).toHaveBeenCalledWith(expect.objectContaining({ title: '语音输入不可用', content: expect.stringContaining('打字') }));
    page.onInput(ev({ field: 'description' }, { value: '家里灯坏了' }));
    expect(page.data.form.description).toBe('家里灯坏了');
  });

  test('a plugin that fails to load counts as unavailable', () => {
    global.requirePlugin = jest.fn(() => {
      throw new Error('plugin not authorized');
    });
    const page = orderForm();
    page.onShow();
    expect(page.data.voice).toBe('unavailable');
  });

  test('with WechatSI: hold to speak, the words are added to the description', () => {
    const manager = { start: jest.fn(), stop: jest.fn() };
    global.requirePlugin = jest.fn(() => ({ getRecordRecognitionManager: () => manager }));
    const page = orderForm();
    page.onShow();
    expect(page.data.voice).toBe('ready');
    page.onInput(ev({ field: 'description' }, { value: '空调坏了，' }));
    page.onVoiceStart();
    expect(global.requirePlugin).toHaveBeenCalledWith('WechatSI');
    expect(manager.start).toHaveBeenCalledWith({ duration: 60000, lang: 'zh_CN' });
    expect(page.data.voice).toBe('listening');
    page.onVoiceEnd();
    expect(manager.stop).toHaveBeenCalled();
    manager.onStop({ result: '请师傅明天上午来' });
    expect(page.data.form.description).toBe('空调坏了，请师傅明天上午来');
    expect(page.data.voice).toBe('ready');
    // nothing heard: said so, the text is untouched
    page.onVoiceStart();
    manager.onStop({ result: '' });
    expect(page.data.form.description).toBe('空调坏了，请师傅明天上午来');
    expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: expect.stringContaining('没有听清') }));
  });
});
