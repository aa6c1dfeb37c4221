jest.mock('../../src/services/orders');
jest.mock('../../src/services/categories');
jest.mock('../../src/services/me');
jest.mock('../../src/services/notifications');
jest.mock('../../src/services/registrations');

const ordersService = require('../../src/services/orders');
const categoriesService = require('../../src/services/categories');
const meService = require('../../src/services/me');
const notificationsService = require('../../src/services/notifications');
const registrationsService = require('../../src/services/registrations');
const subscribe = require('../../src/utils/subscribe');
const { createPage, flush, fakeApp, apiError, ev } = require('../helpers/page');

const CATS = [
  { id: 'c1', code: 'repair', name: '家电维修', skills: ['电工'] },
  { id: 'c2', code: 'law', name: '法律咨询', skills: ['法律'] }
];

function order(extra) {
  return Object.assign(
    { id: 'o1', status: 'submitted', category_name: '家电维修', description: '空调不制冷', address: '和平路1号', actions: [], timeline: [] },
    extra
  );
}

describe('home page', () => {
  test('loads categories and my recent orders; shows role entries', async () => {
    fakeApp({ id: 'u1', role: 'member', name: '王强', org_name: '一支部' });
    categoriesService.listCategories.mockResolvedValue({ items: CATS });
    ordersService.listOrders.mockResolvedValue({ items: [order()], next_cursor: 'c5' });
    const page = createPage('pages/index/index');
    page.onLoad();
    await flush();
    expect(page.data.categories).toHaveLength(2);
    expect(page.data.recent).toHaveLength(1);
    expect(page.data.member).toBe(true);
    expect(page.data.roleText).toBe('志愿队员');
    expect(ordersService.listOrders).toHaveBeenCalledWith({ scope: 'mine', offset: 0, limit: 5 });
  });

  test("a secretary's banner says who once, and the shortcuts carry what waits", async () => {
    fakeApp({ id: 's1', role: 'secretary', name: '阳光社区第一党支部书记', org_name: '阳光社区第一党支部' });
    categoriesService.listCategories.mockResolvedValue({ items: CATS });
    ordersService.listOrders.mockImplementation((q) =>
      Promise.resolve(q.scope === 'org' ? { items: [order(), order({ id: 'o2' })], next_cursor: null } : { items: [], next_cursor: null })
    );
    registrationsService.listRegistrations.mockResolvedValue({ items: Array.from({ length: 100 }, (_, i) => ({ id: 'r' + i })), next_cursor: 'c100' });
    const page = createPage('pages/index/index');
    page.onLoad();
    await flush();
    expect(page.data.bannerWho).toBe('阳光社区第一党支部书记');
    expect(page.data.bannerOrg).toBe('');
    expect(ordersService.listOrders).toHaveBeenCalledWith({ scope: 'org', status: 'submitted', offset: 0, limit: 100 }, { silent: true });
    expect(page.data.pendingDispatch).toBe('2');
    expect(page.data.pendingReview).toBe('99+');
  });

  test('a member sees name · role and the branch on its own line; no counts are asked for', async () => {
    fakeApp({ id: 'u1', role: 'member', name: '王建国', org_name: '阳光社区第一党支部' });
    categoriesService.listCategories.mockResolvedValue({ items: CATS });
    ordersService.listOrders.mockResolvedValue({ items: [], next_cursor: null });
    const page = createPage('pages/index/index');
    page.onLoad();
    await flush();
    expect([page.data.bannerWho, page.data.bannerOrg]).toEqual(['王建国 · 志愿队员', '阳光社区第一党支部']);
    expect(registrationsService.listRegistrations).not.toHaveBeenCalled();
    expect(page.data.pendingDispatch).toBe('');
  });

  test('an error while loading categories leaves a retryable error state', async () => {
    fakeApp({ id: 'u1', role: 'resident' });
    categoriesService.listCategories.mockRejectedValue(apiError(503, '服务暂不可用，请稍后重试'));
    ordersService.listOrders.mockResolvedValue({ items: [], next_cursor: null });
    const page = createPage('pages/index/index');
    page.onLoad();
    await flush();
    expect(page.data.categoriesError).toBe('服务暂不可用，请稍后重试');
    expect(page.data.categoriesLoading).toBe(false);
    categoriesService.listCategories.mockResolvedValue({ items: CATS });
    await page.loadCategories();
    expect(page.data.categoriesError).toBe('');
    expect(page.data.categories).toHaveLength(2);
  });

  test('when login is impossible the page asks to log in', async () => {
    const app = fakeApp(null);
    app.ready.mockRejectedValue(apiError(401, '请先登录'));
    const page = createPage('pages/index/index');
    await page.load();
    expect(page.data.needLogin).toBe(true);
    expect(categoriesService.listCategories).not.toHaveBeenCalled();
  });

  test('tapping a category opens the order form with it preselected', () => {
    fakeApp({ id: 'u1', role: 'resident' });
    const page = createPage('pages/index/index');
    page.onCategoryTap(ev({ id: 'c2' }));
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/order-create/order-create?category_id=c2' });
  });
});

describe('my orders page', () => {
  test('loads the first page, pages with next_cursor, switches status tab', async () => {
    fakeApp({ id: 'u1', role: 'resident' });
    ordersService.listOrders
      .mockResolvedValueOnce({ items: [order({ id: 'a' })], next_cursor: 'c20' })
      .mockResolvedValueOnce({ items: [order({ id: 'b' })], next_cursor: null })
      .mockResolvedValueOnce({ items: [], next_cursor: null });
    const page = createPage('pages/orders/orders');
    page.onLoad({});
    await flush();
    expect(ordersService.listOrders).toHaveBeenLastCalledWith({ scope: 'mine', status: '', offset: 0, limit: 20 });
    await page.onReachBottom();
    expect(ordersService.listOrders).toHaveBeenLastCalledWith({ scope: 'mine', status: '', offset: 'c20', limit: 20 });
    expect(page.data.list.items.map((o) => o.id)).toEqual(['a', 'b']);
    expect(page.data.list.hasMore).toBe(false);
    await page.onTab(ev({ key: 'completed' }));
    expect(ordersService.listOrders).toHaveBeenLastCalledWith({ scope: 'mine', status: 'completed', offset: 0, limit: 20 });
    expect(page.data.list.items).toEqual([]);
    expect(page.data.list.loaded).toBe(true);
  });

  test('pull-down refresh reloads and stops the indicator; errors become an error state', async () => {
    fakeApp({ id: 'u1', role: 'resident' });
    ordersService.listOrders.mockRejectedValue(apiError(0, '网络不可用，请稍后重试'));
    const page = createPage('pages/orders/orders');
    page.onLoad({});
    await flush();
    expect(page.data.list.error).toBe('网络不可用，请稍后重试');
    ordersService.listOrders.mockResolvedValue({ items: [order()], next_cursor: null });
    await page.onPullDownRefresh();
    expect(page.data.list.error).toBe('');
    expect(page.data.list.items).toHaveLength(1);
    expect(wx.stopPullDownRefresh).toHaveBeenCalled();
  });
});

describe('order form page', () => {
  const user = { id: 'u1', role: 'resident', name: '张大妈', has_phone: false, phone: '' };

  beforeEach(() => {
    subscribe.reset();
    notificationsService.getSubscriptions.mockResolvedValue({ items: [{ template: 'order', template_id: 'TMPL_1', remaining: 0 }] });
    notificationsService.reportSubscriptions.mockResolvedValue({ items: [] });
  });

  async function openForm(query) {
    fakeApp(Object.assign({}, user));
    categoriesService.listCategories.mockResolvedValue({ items: CATS });
    const page = createPage('pages/order-create/order-create');
    page.onLoad(query || { category_id: 'c2' });
    await flush();
    return page;
  }

  function fill(page) {
    page.onInput(ev({ field: 'description' }, { value: '老人家需要法律咨询' }));
    wx.chooseLocation = jest.fn((o) => o.success({ name: '和平小区', address: '和平路1号', latitude: 39.9, longitude: 116.4 }));
    page.onChooseLocation();
    wx.navigateTo = jest.fn((o) => o.events.selected({ id: 'org-9', name: '和平社区', type: 'community' }));
    page.onChooseOrg();
    page.onInput(ev({ field: 'contact_phone' }, { value: '13800000000' }));
  }

  test('preselects the category and fills the contact name', async () => {
    const page = await openForm();
    expect(page.data.category.id).toBe('c2');
    expect(page.data.form.contact_name).toBe('张大妈');
    expect(wx.navigateTo).not.toHaveBeenCalled();
  });

  test('validation names the missing fields in Chinese and sends nothing', async () => {
    const page = await openForm({});
    await page.onSubmit();
    expect(ordersService.createOrder).not.toHaveBeenCalled();
    expect(wx.requestSubscribeMessage).not.toHaveBeenCalled();
    expect(page.data.errors).toMatchObject({
      category_id: '请选择服务项目',
      org_id: '请选择服务社区',
      description: '请描述您的需求',
      location: '请在地图上选择位置',
      contact_phone: '请授权微信手机号或填写联系电话'
    });
    expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: '请选择服务项目' }));
  });

  test('submits location, photos and wanted time with an Idempotency-Key, asks for subscribe consent, opens the order', async () => {
    const page = await openForm();
    fill(page);
    // the photo-uploader reports an upload still running: submitting waits
    page.onPhotosChange(ev({}, { ids: [], busy: true }));
    await page.onSubmit();
    expect(ordersService.createOrder).not.toHaveBeenCalled();
    expect(page.data.errors.photos).toBe('照片还在上传，请稍候');
    page.onPhotosChange(ev({}, { ids: ['665f00000000000000000001'], busy: false }));
    const next = new Date(Date.now() + 3 * 24 * 3600 * 1000);
    const date = next.getFullYear() + '-' + String(next.getMonth() + 1).padStart(2, '0') + '-' + String(next.getDate()).padStart(2, '0');
    page.onDateChange(ev({}, { value: date }));
    page.onTimeChange(ev({}, { value: '14:30' }));
    ordersService.createOrder.mockResolvedValue({ id: 'o77', status: 'submitted' });
    await page.onSubmit();
    expect(wx.requestSubscribeMessage).toHaveBeenCalledWith(expect.objectContaining({ tmplIds: ['TMPL_1'] }));
    const [body, key] = ordersService.createOrder.mock.calls[0];
    expect(body).toEqual({
      category_id: 'c2',
      org_id: 'org-9',
      description: '老人家需要法律咨询',
      address: '和平路1号 和平小区',
      location: { type: 'Point', coordinates: [116.4, 39.9] },
      contact_name: '张大妈',
      contact_phone: '13800000000',
      wanted_at: date + 'T14:30:00+08:00',
      photos: ['665f00000000000000000001']
    });
    expect(key).toMatch(/^[0-9a-f-]{36}$/);
    expect(wx.redirectTo).toHaveBeenCalledWith({ url: '/pages/order-detail/order-detail?id=o77' });
    expect(wx.getStorageSync('tx_last_order_org')).toEqual({ id: 'org-9', name: '和平社区' });
  });

  test('the order is sent while the consent dialog is open; the redirect waits for the answer; accepted ids are reported', async () => {
    const page = await openForm();
    fill(page);
    let reply;
    wx.requestSubscribeMessage = jest.fn((o) => {
      reply = o.success;
    });
    ordersService.createOrder.mockResolvedValue({ id: 'o5' });
    const done = page.onSubmit();
    await flush();
    expect(ordersService.createOrder).toHaveBeenCalledTimes(1);
    expect(wx.redirectTo).not.toHaveBeenCalled();
    reply({ TMPL_1: 'accept', errMsg: 'requestSubscribeMessage:ok' });
    await done;
    expect(wx.redirectTo).toHaveBeenCalledWith({ url: '/pages/order-detail/order-detail?id=o5' });
    await subscribe.settled();
    expect(notificationsService.reportSubscriptions).toHaveBeenCalledWith(['TMPL_1'], expect.any(String));
  });

  test('a refused subscribe consent does not block the submission', async () => {
    wx.requestSubscribeMessage = jest.fn(() => {
      throw new Error('not supported');
    });
    const page = await openForm();
    fill(page);
    ordersService.createOrder.mockResolvedValue({ id: 'o1' });
    await page.onSubmit();
    expect(ordersService.createOrder).toHaveBeenCalledTimes(1);
  });

  test('a network failure keeps the Idempotency-Key for the retry; a 400 shows field errors and renews it', async () => {
    const page = await openForm();
    fill(page);
    ordersService.createOrder.mockRejectedValueOnce(apiError(0, '网络不可用，请稍后重试'));
    await page.onSubmit();
    expect(page.data.submitting).toBe(false);
    ordersService.createOrder.mockRejectedValueOnce(apiError(400, '提交的信息有误', { description: '包含敏感内容' }));
    await page.onSubmit();
    const k1 = ordersService.createOrder.mock.calls[0][1];
    const k2 = ordersService.createOrder.mock.calls[1][1];
    expect(k2).toBe(k1);
    expect(page.data.errors.description).toBe('包含敏感内容');
    ordersService.createOrder.mockResolvedValueOnce({ id: 'o2' });
    await page.onSubmit();
    expect(ordersService.createOrder.mock.calls[2][1]).not.toBe(k1);
  });

  test('getPhoneNumber binds the phone via /me/phone and then no contact phone is required', async () => {
    const page = await openForm();
    meService.bindPhone.mockResolvedValue(Object.assign({}, user, { has_phone: true, phone: '138****0000' }));
    await page.onGetPhoneNumber({ detail: { code: 'phone-code' } });
    expect(meService.bindPhone).toHaveBeenCalledWith('phone-code');
    expect(page.data.user.has_phone).toBe(true);
    expect(page.validate().contact_phone).toBeUndefined();
    await page.onGetPhoneNumber({ detail: { errMsg: 'getPhoneNumber:fail user deny' } });
    expect(meService.bindPhone).toHaveBeenCalledTimes(1);
  });
});

describe('order detail page', () => {
  test('loads the order with its timeline and exposes the allowed actions', async () => {
    ordersService.getOrder.mockResolvedValue(
      order({ status: 'completed', actions: ['confirm'], contact_phone: '138****0000', timeline: [{ at: '2025-01-01T00:00:00Z', action: 'create', to: 'submitted' }] })
    );
    const page = createPage('pages/order-detail/order-detail');
    page.onLoad({ id: 'o1' });
    await flush();
    expect(ordersService.getOrder).toHaveBeenCalledWith('o1');
    expect(page.data.can).toMatchObject({ confirm: true, cancel: false, accept: false });
    expect(page.data.order.timeline).toHaveLength(1);
    expect(page.data.order.phoneCallable).toBe(false);
  });

  test('查看全部记录 loads the archived history, then 加载更早的记录 the rest, oldest first', async () => {
    const recent = [3, 4].map((seq) => ({ at: '2025-01-0' + (seq + 1) + 'T00:00:00Z', action: 'decline', to: 'submitted', note: '第' + seq + '条' }));
    ordersService.getOrder.mockResolvedValue(order({ timeline: recent, timeline_total: 5, timeline_archived: 3 }));
    const ev = (seq) => ({ seq, at: '2025-01-0' + (seq + 1) + 'T00:00:00Z', action: 'dispatch', to: 'dispatched', note: '第' + seq + '条' });
    ordersService.getOrderTimeline
      .mockResolvedValueOnce({ items: [ev(4), ev(3), ev(2)], next_cursor: '0.2.o1', timeline_total: 5, timeline_archived: 3 })
      .mockResolvedValueOnce({ items: [ev(1), ev(0)], next_cursor: null, timeline_total: 5, timeline_archived: 3 });
    const page = createPage('pages/order-detail/order-detail');
    page.onLoad({ id: 'o1' });
    await flush();
    expect(page.data.history).toBe(null);
    page.onMoreHistory();
    await flush();
    expect(ordersService.getOrderTimeline).toHaveBeenLastCalledWith('o1', { cursor: '', limit: 50 });
    expect(page.data.history.map((e) => e.seq)).toEqual([2, 3, 4]);
    expect(page.data.historyCursor).toBe('0.2.o1');
    page.onMoreHistory();
    await flush();
    expect(ordersService.getOrderTimeline).toHaveBeenLastCalledWith('o1', { cursor: '0.2.o1', limit: 50 });
    expect(page.data.history.map((e) => e.seq)).toEqual([0, 1, 2, 3, 4]);
    expect(page.data.historyCursor).toBe('');
  });

  async function detail(user, o) {
    fakeApp(user);
    ordersService.getOrder.mockResolvedValue(o);
    const page = createPage('pages/order-detail/order-detail');
    page.onLoad({ id: o.id });
    await flush();
    return page;
  }

  test('the resident is not offered to call their own number, nor shown the due time or the points', async () => {
    const o = order({ status: 'accepted', resident_id: 'u1', contact_phone: '13900000001', due_at: '2025-03-03T02:00:00Z', points: 10 });
    const page = await detail({ id: 'u1', role: 'resident' }, o);
    expect(page.data.order).toMatchObject({ owner: true, phoneCallable: false, dueText: '' });
    const volunteer = await detail({ id: 'm1', role: 'member' }, Object.assign({}, o, { assignee_id: 'm1', actions: ['start', 'decline'] }));
    expect(volunteer.data.order).toMatchObject({ owner: false, phoneCallable: true, dueText: '2025-03-03 10:00', addressHidden: false });
  });

  test('no due time on a closed order', async () => {
    const page = await detail({ id: 's1', role: 'secretary' }, order({ status: 'closed', resident_id: 'u1', due_at: '2025-03-03T02:00:00Z' }));
    expect(page.data.order.dueText).toBe('');
  });

  test('a secretary refuses in one place: 派单处理 (with 驳回 inside), not also 取消工单', async () => {
    const page = await detail({ id: 's1', role: 'secretary' }, order({ resident_id: 'u1', actions: ['dispatch', 'reject', 'cancel'] }));
    expect(page.data.can).toMatchObject({ dispatch: true, cancel: false });
    const owner = await detail({ id: 'u1', role: 'resident' }, order({ resident_id: 'u1', actions: ['cancel'] }));
    expect(owner.data.can.cancel).toBe(true);
  });

  test('a member who has not taken the order sees the distance, not the address', async () => {
    const o = order({ status: 'dispatched', resident_id: 'u1', assignee_id: null, actions: ['accept', 'decline'], distance_km: 1.26 });
    const page = await detail({ id: 'm1', role: 'member' }, o);
    expect(page.data.order).toMatchObject({ addressHidden: true, placeText: '距您 1.3 公里，', phoneCallable: false });
  });

  test('cancel asks for a reason, posts it and shows the new state', async () => {
    ordersService.getOrder
      .mockResolvedValueOnce(order({ actions: ['cancel'] }))
      .mockResolvedValueOnce(order({ status: 'cancelled', actions: [] }));
    ordersService.cancelOrder.mockResolvedValue(order({ status: 'cancelled', actions: [] }));
    const page = createPage('pages/order-detail/order-detail');
    page.onLoad({ id: 'o1' });
    await flush();
    wx.answerModal({ confirm: true, content: '不需要了' });
    await page.onCancel();
    expect(ordersService.cancelOrder).toHaveBeenCalledWith('o1', '不需要了');
    expect(page.data.order.status).toBe('cancelled');
    expect(page.data.can.cancel).toBe(false);
  });

  test('dismissing the cancel dialog does nothing', async () => {
    ordersService.getOrder.mockResolvedValue(order({ actions: ['cancel'] }));
    const page = createPage('pages/order-detail/order-detail');
    page.onLoad({ id: 'o1' });
    await flush();
    wx.answerModal({ confirm: false });
    await page.onCancel();
    expect(ordersService.cancelOrder).not.toHaveBeenCalled();
  });

  test('confirm requires a rating, then sends rating and comment', async () => {
    ordersService.getOrder.mockResolvedValue(order({ status: 'completed', actions: ['confirm'] }));
    ordersService.confirmOrder.mockResolvedValue(order({ status: 'closed', rating: 5 }));
    const page = createPage('pages/order-detail/order-detail');
    page.onLoad({ id: 'o1' });
    await flush();
    await page.onConfirm();
    expect(ordersService.confirmOrder).not.toHaveBeenCalled();
    expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: '请先为本次服务打分' }));
    page.onRate({ detail: { value: 5 } });
    page.onComment({ detail: { value: ' 小王很耐心 ' } });
    ordersService.getOrder.mockResolvedValue(order({ status: 'closed', rating: 5, comment: '小王很耐心', actions: [] }));
    await page.onConfirm();
    expect(ordersService.confirmOrder).toHaveBeenCalledWith('o1', { rating: 5, comment: '小王很耐心' });
    expect(page.data.order.status).toBe('closed');
    expect(page.data.rating).toBe(0);
  });

  test('a 409 on an action reloads the order; a load error is shown on the page', async () => {
    ordersService.getOrder.mockResolvedValueOnce(order({ actions: ['cancel'] })).mockResolvedValueOnce(order({ status: 'dispatched', actions: [] }));
    ordersService.cancelOrder.mockRejectedValue(apiError(409, '工单状态已变化'));
    const page = createPage('pages/order-detail/order-detail');
    page.onLoad({ id: 'o1' });
    await flush();
    wx.answerModal({ confirm: true, content: '' });
    await page.onCancel();
    await flush();
    expect(page.data.order.status).toBe('dispatched');
    expect(page.data.acting).toBe(false);

    ordersService.getOrder.mockRejectedValue(apiError(404, '工单不存在'));
    const p2 = createPage('pages/order-detail/order-detail');
    await p2.onLoad({ id: 'nope' });
    await flush();
    expect(p2.data.error).toBe('工单不存在');
    expect(p2.data.loading).toBe(false);
  });
});
