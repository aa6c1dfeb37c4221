jest.mock('../../src/services/orders');
jest.mock('../../src/services/tasks');
jest.mock('../../src/services/points');
jest.mock('../../src/services/registrations');
jest.mock('../../src/services/categories');
jest.mock('../../src/services/notifications');
jest.mock('../../src/services/orgs');

const ordersService = require('../../src/services/orders');
const tasksService = require('../../src/services/tasks');
const pointsService = require('../../src/services/points');
const registrationsService = require('../../src/services/registrations');
const categoriesService = require('../../src/services/categories');
const notificationsService = require('../../src/services/notifications');
const orgsService = require('../../src/services/orgs');
const subscribe = require('../../src/utils/subscribe');
const { createPage, flush, fakeApp, apiError, ev } = require('../helpers/page');

function order(extra) {
  return Object.assign({ id: 'o1', status: 'dispatched', category_name: '助老', description: '陪同就医', address: '和平路1号', actions: [] }, extra);
}

describe('member registration page', () => {
  beforeEach(() => {
    fakeApp({ id: 'u1', role: 'resident', name: '王强' });
    categoriesService.listCategories.mockResolvedValue({ items: [{ id: 'c1', skills: ['电工', '维修'] }, { id: 'c2', skills: ['维修', '法律'] }] });
  });

  test('loads my registrations and the skill options from the catalogue', async () => {
    registrationsService.listRegistrations.mockResolvedValue({ items: [{ id: 'r1', status: 'rejected', reason: '信息不全', org_name: '一支部', created_at: '2025-01-01T00:00:00Z' }], next_cursor: null });
    const page = createPage('pkg-member/pages/register/register');
    page.onLoad();
    await flush();
    expect(registrationsService.listRegistrations).toHaveBeenCalledWith({ offset: 0, limit: 20 });
    expect(page.data.list.items[0].reason).toBe('信息不全');
    expect(page.data.hasPending).toBe(false);
    expect(page.data.skillOptions).toEqual(['电工', '维修', '法律']);
    expect(page.data.name).toBe('王强');
  });

  test('after a rejection the form starts from the earlier application; the bound phone fills the phone field', async () => {
    fakeApp({ id: 'u1', role: 'resident', name: '王强', has_phone: true, phone: '13900000001' });
    registrationsService.listRegistrations.mockResolvedValue({
      items: [
        { id: 'r0', status: 'rejected', org_id: 'b0', org_name: '旧支部', name: '王强', party_status: '入党申请人', skills: [], created_at: '2024-01-01T00:00:00Z' },
        { id: 'r1', status: 'rejected', org_id: 'b1', org_name: '一支部', name: '王小强', party_status: '积极分子', skills: ['理发', '电工'], phone: '13700000000', created_at: '2025-01-01T00:00:00Z' }
      ],
      next_cursor: null
    });
    const page = createPage('pkg-member/pages/register/register');
    page.onLoad();
    await flush();
    expect(page.data.org).toEqual({ id: 'b1', name: '一支部' });
    expect(page.data.name).toBe('王小强');
    expect(page.data.partyStatuses[page.data.partyIndex]).toBe('积极分子');
    expect(page.data.skills).toEqual(['理发', '电工']);
    expect(page.data.skillOptions).toEqual(expect.arrayContaining(['电工', '维修', '法律', '理发']));
    expect(page.data.phone).toBe('13700000000');
    expect(page.data.list.items[1].skillsText).toBe('理发、电工');
  });

  test('a new applicant gets the bound WeChat phone pre-filled', async () => {
    fakeApp({ id: 'u1', role: 'resident', name: '王强', has_phone: true, phone: '13900000001' });
    registrationsService.listRegistrations.mockResolvedValue({ items: [], next_cursor: null });
    const page = createPage('pkg-member/pages/register/register');
    page.onLoad();
    await flush();
    expect(page.data.phone).toBe('13900000001');
    expect(page.data.partyIndex).toBe(-1);
  });

  test('a pending registration hides the form', async () => {
    registrationsService.listRegistrations.mockResolvedValue({ items: [{ id: 'r1', status: 'pending' }], next_cursor: null });
    const page = createPage('pkg-member/pages/register/register');
    page.onLoad();
    await flush();
    expect(page.data.hasPending).toBe(true);
  });

  test('submits branch, party status and skills; requires a branch', async () => {
    registrationsService.listRegistrations.mockResolvedValue({ items: [], next_cursor: null });
    registrationsService.createRegistration.mockResolvedValue({ id: 'r2', status: 'pending' });
    const page = createPage('pkg-member/pages/register/register');
    page.onLoad();
    await flush();
    await page.onSubmit();
    expect(registrationsService.createRegistration).not.toHaveBeenCalled();
    expect(page.data.errors).toMatchObject({ org_id: '请选择报到的支部', party_status: '请选择政治面貌' });

    wx.navigateTo = jest.fn((o) => {
      expect(o.url).toContain('types=branch');
      o.events.selected({ id: 'b1', name: '和平社区第一支部', type: 'branch' });
    });
    page.onChooseOrg();
    page.onPartyChange(ev({}, { value: '4' }));
    page.onToggleSkill(ev({ skill: '电工' }));
    page.onToggleSkill(ev({ skill: '法律' }));
    page.onToggleSkill(ev({ skill: '法律' }));
    page.onInput(ev({ field: 'customSkill' }, { value: '理发' }));
    page.onAddSkill();
    expect(page.data.skillChips.filter((c) => c.active).map((c) => c.name)).toEqual(['电工', '理发']);
    registrationsService.listRegistrations.mockResolvedValue({ items: [{ id: 'r2', status: 'pending' }], next_cursor: null });
    await page.onSubmit();
    expect(registrationsService.createRegistration).toHaveBeenCalledWith({ org_id: 'b1', name: '王强', party_status: '正式党员', skills: ['电工', '理发'] });
    expect(page.data.hasPending).toBe(true);
  });

  test('server field errors are shown next to the fields', async () => {
    registrationsService.listRegistrations.mockResolvedValue({ items: [], next_cursor: null });
    registrationsService.createRegistration.mockRejectedValue(apiError(400, '提交的信息有误', { org_id: '只能报到到支部' }));
    const page = createPage('pkg-member/pages/register/register');
    page.onLoad();
    await flush();
    page.setData({ org: { id: 'x', name: '社区' }, partyIndex: 0 });
    await page.onSubmit();
    expect(page.data.errors.org_id).toBe('只能报到到支部');
    expect(page.data.submitting).toBe(false);
  });
});

describe('task hall page', () => {
  test('lists open orders with distance, takes one and removes it from the hall', async () => {
    tasksService.listTaskHall.mockResolvedValue({ items: [order({ id: 'a', distance_km: 0.8 }), order({ id: 'b' })], next_cursor: null });
    ordersService.acceptOrder.mockResolvedValue(order({ id: 'a', status: 'accepted' }));
    const page = createPage('pkg-member/pages/task-hall/task-hall');
    page.onLoad();
    await flush();
    expect(tasksService.listTaskHall).toHaveBeenCalledWith({ offset: 0, limit: 20 });
    expect(page.data.list.items).toHaveLength(2);
    await page.onTake(ev({ id: 'a' }));
    expect(ordersService.acceptOrder).toHaveBeenCalledWith('a');
    expect(page.data.list.items.map((o) => o.id)).toEqual(['b']);
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/order-detail/order-detail?id=a' });
  });

  test('each order names its community (from the organisation tree), not its address', async () => {
    require('../../src/utils/orgs').reset();
    orgsService.getOrgTree.mockResolvedValue({
      items: [{ id: 'st', name: '幸福街道', type: 'street', parent_id: null, children: [{ id: 'cm', name: '阳光社区', type: 'community', parent_id: 'st', children: [{ id: 'b1', name: '第一党支部', type: 'branch', parent_id: 'cm', children: [] }] }] }]
    });
    tasksService.listTaskHall.mockResolvedValue({ items: [order({ org_id: 'b1' }), order({ id: 'o2', org_id: 'elsewhere' })], next_cursor: null });
    const page = createPage('pkg-member/pages/task-hall/task-hall');
    await page.onLoad();
    expect(orgsService.getOrgTree).toHaveBeenCalledWith({ silent: true });
    expect(page.data.list.items.map((o) => o.community_name)).toEqual(['阳光社区', '']);
    // loaded once per session
    await page.onPullDownRefresh();
    expect(orgsService.getOrgTree).toHaveBeenCalledTimes(1);
  });

  test('taken by someone else (409) → the hall is reloaded', async () => {
    tasksService.listTaskHall.mockResolvedValueOnce({ items: [order({ id: 'a' })], next_cursor: null }).mockResolvedValueOnce({ items: [], next_cursor: null });
    ordersService.acceptOrder.mockRejectedValue(apiError(409, '该工单已被其他队员接单'));
    const page = createPage('pkg-member/pages/task-hall/task-hall');
    page.onLoad();
    await flush();
    await page.onTake(ev({ id: 'a' }));
    await flush();
    expect(tasksService.listTaskHall).toHaveBeenCalledTimes(2);
    expect(page.data.list.items).toEqual([]);
    expect(page.data.takingId).toBe('');
  });

  test('accepting asks for subscribe consent from the confirm dialog (a user gesture) and reports the accepted ids', async () => {
    subscribe.reset();
    notificationsService.getSubscriptions.mockResolvedValue({ items: [{ template: 'todo', template_id: 'T_TODO', remaining: 0 }] });
    notificationsService.reportSubscriptions.mockResolvedValue({ items: [] });
    tasksService.listTaskHall.mockResolvedValue({ items: [order({ id: 'a' })], next_cursor: null });
    const order_ = [];
    wx.requestSubscribeMessage = jest.fn((o) => {
      order_.push('consent');
      o.success({ T_TODO: 'accept', errMsg: 'requestSubscribeMessage:ok' });
    });
    ordersService.acceptOrder.mockImplementation(() => {
      order_.push('accept');
      return Promise.resolve(order({ id: 'a', status: 'accepted' }));
    });
    const page = createPage('pkg-member/pages/task-hall/task-hall');
    page.onLoad();
    await flush();
    await page.onTake(ev({ id: 'a' }));
    await subscribe.settled();
    expect(order_).toEqual(['consent', 'accept']);
    expect(wx.requestSubscribeMessage).toHaveBeenCalledWith(expect.objectContaining({ tmplIds: ['T_TODO'] }));
    expect(notificationsService.reportSubscriptions).toHaveBeenCalledWith(['T_TODO'], expect.stringMatching(/^[0-9a-f-]{36}$/));
  });

  test('a failing subscriptions endpoint never blocks accepting', async () => {
    subscribe.reset();
    notificationsService.getSubscriptions.mockRejectedValue(apiError(503, '服务暂不可用'));
    tasksService.listTaskHall.mockResolvedValue({ items: [order({ id: 'a' })], next_cursor: null });
    ordersService.acceptOrder.mockResolvedValue(order({ id: 'a', status: 'accepted' }));
    const page = createPage('pkg-member/pages/task-hall/task-hall');
    page.onLoad();
    await flush();
    await page.onTake(ev({ id: 'a' }));
    expect(wx.requestSubscribeMessage).not.toHaveBeenCalled();
    expect(ordersService.acceptOrder).toHaveBeenCalledWith('a');
  });

  test('declining the confirmation does not accept', async () => {
    tasksService.listTaskHall.mockResolvedValue({ items: [order()], next_cursor: null });
    const page = createPage('pkg-member/pages/task-hall/task-hall');
    page.onLoad();
    await flush();
    wx.answerModal({ confirm: false });
    await page.onTake(ev({ id: 'o1' }));
    expect(ordersService.acceptOrder).not.toHaveBeenCalled();
    expect(wx.requestSubscribeMessage).not.toHaveBeenCalled();
  });
});

describe('my tasks page', () => {
  test('lists assigned orders per status and starts one', async () => {
    ordersService.listOrders.mockResolvedValue({ items: [order({ status: 'accepted', actions: ['start', 'decline'] })], next_cursor: null });
    ordersService.startOrder.mockResolvedValue(order({ status: 'in_service' }));
    const page = createPage('pkg-member/pages/my-tasks/my-tasks');
    page.onLoad({});
    await flush();
    expect(ordersService.listOrders).toHaveBeenCalledWith({ scope: 'assigned', status: 'accepted', offset: 0, limit: 20 });
    expect(page.data.list.items[0]).toMatchObject({ canStart: true, canDecline: true, canComplete: false });
    ordersService.listOrders.mockResolvedValue({ items: [], next_cursor: null });
    await page.onStart(ev({ id: 'o1' }));
    expect(ordersService.startOrder).toHaveBeenCalledWith('o1');
    expect(page.data.list.items).toEqual([]);
  });

  test('decline needs a reason', async () => {
    ordersService.listOrders.mockResolvedValue({ items: [order({ actions: ['accept', 'decline'] })], next_cursor: null });
    const page = createPage('pkg-member/pages/my-tasks/my-tasks');
    page.onLoad({ status: 'dispatched' });
    await flush();
    wx.answerModal({ confirm: true, content: '  ' });
    await page.onDecline(ev({ id: 'o1' }));
    expect(ordersService.declineOrder).not.toHaveBeenCalled();
    expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: '请填写退回原因' }));
    wx.answerModal({ confirm: true, content: '临时有事' });
    ordersService.declineOrder.mockResolvedValue(order());
    await page.onDecline(ev({ id: 'o1' }));
    expect(ordersService.declineOrder).toHaveBeenCalledWith('o1', '临时有事');
  });

  test('opens on the most urgent tab that has something (服务中 before 已接单), with a count on each tab', async () => {
    const all = [order({ id: 'a', status: 'in_service' }), order({ id: 'b', status: 'closed' }), order({ id: 'c', status: 'closed' })];
    ordersService.listOrders.mockImplementation((q) => Promise.resolve({ items: all.filter((o) => !q.status || o.status === q.status), next_cursor: null }));
    const page = createPage('pkg-member/pages/my-tasks/my-tasks');
    await page.onLoad({});
    await flush();
    expect(ordersService.listOrders).toHaveBeenCalledWith({ scope: 'assigned', offset: 0, limit: 100 }, { silent: true });
    expect(page.data.status).toBe('in_service');
    expect(page.data.list.items.map((o) => o.id)).toEqual(['a']);
    // the tab names come from the one status table (the tag on a card says the same)
    expect(page.data.tabs.map((t) => t.text + (t.count ? '(' + t.count + ')' : ''))).toEqual(['已接单', '服务中(1)', '待确认', '已完成']);
  });

  test('with nothing open it opens on 服务中 and points to the task hall', async () => {
    ordersService.listOrders.mockResolvedValue({ items: [], next_cursor: null });
    const page = createPage('pkg-member/pages/my-tasks/my-tasks');
    await page.onLoad({});
    await flush();
    expect(page.data.status).toBe('in_service');
    page.onHall();
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pkg-member/pages/task-hall/task-hall' });
  });

  describe('扫一扫 (paper slip QR)', () => {
    const SLIP = 'pages/order-detail/order-detail?id=6b1088b664e5829448991138&slip=Qk3hZ_x-9aB2cD4eF6gH8iJ0';
    const OPENED = '/pages/order-detail/order-detail?id=6b1088b664e5829448991138&slip=Qk3hZ_x-9aB2cD4eF6gH8iJ0';

    function scan(res) {
      wx.scanCode = jest.fn((o) => o.success(res));
      const page = createPage('pkg-member/pages/my-tasks/my-tasks');
      page.onScan();
      expect(wx.scanCode).toHaveBeenCalledTimes(1);
    }

    test('a slip printed as a plain QR (result) opens its order with the signature', () => {
      scan({ result: SLIP, scanType: 'QR_CODE' });
      expect(wx.navigateTo).toHaveBeenCalledWith({ url: OPENED });
      expect(wx.showToast).not.toHaveBeenCalled();
    });

    test('a mini-program code gives the page in path', () => {
      scan({ result: '', path: '/' + SLIP, scanType: 'WX_CODE' });
      expect(wx.navigateTo).toHaveBeenCalledWith({ url: OPENED });
    });

    test.each([
      ['a web address', { result: 'https://example.com/?id=6b1088b664e5829448991138&slip=abcdefgh' }],
      ['another page of ours', { result: 'pkg-voice/pages/submit/submit?scene=AbCd' }],
      ['a slip without its signature', { result: 'pages/order-detail/order-detail?id=6b1088b664e5829448991138' }],
      ['a forged id', { result: 'pages/order-detail/order-detail?id=../../me&slip=Qk3hZ_x-9aB2cD4eF6gH8iJ0' }],
      ['a barcode', { result: '6901234567892', scanType: 'EAN_13' }]
    ])('%s is refused with 不是服务单二维码', (name, res) => {
      scan(res);
      expect(wx.navigateTo).not.toHaveBeenCalled();
      expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: '不是服务单二维码', icon: 'none' }));
    });

    test('a cancelled scan does nothing', () => {
      wx.scanCode = jest.fn((o) => o.fail && o.fail({ errMsg: 'scanCode:fail cancel' }));
      const page = createPage('pkg-member/pages/my-tasks/my-tasks');
      page.onScan();
      expect(wx.navigateTo).not.toHaveBeenCalled();
      expect(wx.showToast).not.toHaveBeenCalled();
    });
  });

  test('complete opens the completion page', () => {
    const page = createPage('pkg-member/pages/my-tasks/my-tasks');
    page.onComplete(ev({ id: 'o9' }));
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pkg-member/pages/task-complete/task-complete?id=o9' });
  });
});

describe('task completion page', () => {
  test('requires a note, sends note and photos, then goes back', async () => {
    ordersService.getOrder.mockResolvedValue(order({ status: 'in_service' }));
    ordersService.completeOrder.mockResolvedValue(order({ status: 'completed' }));
    const page = createPage('pkg-member/pages/task-complete/task-complete');
    page.onLoad({ id: 'o1' });
    await flush();
    expect(page.data.order.id).toBe('o1');
    await page.onSubmit();
    expect(ordersService.completeOrder).not.toHaveBeenCalled();
    expect(page.data.error).toBe('请填写服务情况');
    page.onNote({ detail: { value: '已陪同就医并送回家' } });
    page.onPhotosChange({ detail: { ids: [], busy: true } });
    await page.onSubmit();
    expect(ordersService.completeOrder).not.toHaveBeenCalled(); // waits for the upload
    page.onPhotosChange({ detail: { ids: ['665f00000000000000000002'], busy: false } });
    await page.onSubmit();
    expect(ordersService.completeOrder).toHaveBeenCalledWith('o1', { note: '已陪同就医并送回家', photos: ['665f00000000000000000002'] });
    expect(wx.navigateBack).toHaveBeenCalled();
  });

  test('an API error keeps the form and shows the field message', async () => {
    ordersService.getOrder.mockResolvedValue(order());
    ordersService.completeOrder.mockRejectedValue(apiError(400, '提交的信息有误', { note: '内容含有敏感词' }));
    const page = createPage('pkg-member/pages/task-complete/task-complete');
    page.onLoad({ id: 'o1' });
    await flush();
    page.onNote({ detail: { value: 'x' } });
    await page.onSubmit();
    expect(page.data.error).toBe('内容含有敏感词');
    expect(wx.navigateBack).not.toHaveBeenCalled();
  });
});

describe('points page', () => {
  test('shows balances and rank, pages the ledger, switches kind, loads the leaderboard of my branch', async () => {
    fakeApp({ id: 'm1', role: 'member' });
    pointsService.getMyPoints.mockResolvedValue({ points_balance: 120.5, hours_balance: 36, rank: 3, rank_total: 40, org_id: 'b1', org_name: '一支部' });
    pointsService.listLedger
      .mockResolvedValueOnce({ items: [{ id: 'l1', kind: 'points', delta: 10, reason: '助老服务', created_at: '2025-01-01T00:00:00Z' }], next_cursor: 'c1' })
      .mockResolvedValueOnce({ items: [{ id: 'l2', kind: 'points', delta: -5, reason: '兑换', created_at: '2025-01-02T00:00:00Z' }], next_cursor: null })
      .mockResolvedValueOnce({ items: [], next_cursor: null });
    pointsService.getLeaderboard.mockResolvedValue({ period: 'month', items: [{ rank: 1, member_id: 'm1', name: '王强', org_name: '一支部', points: 50 }] });
    const page = createPage('pkg-member/pages/points/points');
    await page.onLoad();
    expect(page.data.summary).toMatchObject({ pointsText: '120.5', hoursText: '36', rank: 3 });
    expect(pointsService.listLedger).toHaveBeenCalledWith({ kind: 'points', offset: 0, limit: 20 });
    await page.onReachBottom();
    expect(page.data.ledger.items.map((e) => e.deltaText)).toEqual(['+10', '-5']);
    await page.onKind(ev({ key: 'hours' }));
    expect(pointsService.listLedger).toHaveBeenLastCalledWith({ kind: 'hours', offset: 0, limit: 20 });
    expect(page.data.ledger.loaded).toBe(true);
    await page.onView(ev({ key: 'board' }));
    expect(pointsService.getLeaderboard).toHaveBeenCalledWith({ org_id: 'b1', period: 'month' });
    expect(page.data.board.items[0].name).toBe('王强');
    await page.onPeriod(ev({ key: 'year' }));
    expect(pointsService.getLeaderboard).toHaveBeenLastCalledWith({ org_id: 'b1', period: 'year' });
  });

  test('a failing summary leaves the ledger usable', async () => {
    fakeApp({ id: 'm1', role: 'member' });
    pointsService.getMyPoints.mockRejectedValue(apiError(503, '服务暂不可用，请稍后重试'));
    pointsService.listLedger.mockResolvedValue({ items: [], next_cursor: null });
    const page = createPage('pkg-member/pages/points/points');
    await page.onLoad();
    expect(page.data.summary).toBeNull();
    expect(page.data.summaryLoading).toBe(false);
    expect(page.data.ledger.loaded).toBe(true);
  });
});

describe('order opened from a paper slip (纸质服务单)', () => {
  test('the QR path carries the signature: the page asks for the order by slip', async () => {
    fakeApp({ id: 'm1', role: 'member', name: '队员1' });
    ordersService.getOrderBySlip.mockResolvedValue(order({ id: 'o5', status: 'accepted', assignee_id: 'm1', actions: ['start', 'decline'] }));
    const page = createPage('pages/order-detail/order-detail');
    page.onLoad({ id: 'o5', slip: 'c2lnbmF0dXJlLW9mLW81' });
    await flush();
    expect(ordersService.getOrderBySlip).toHaveBeenCalledWith('o5', 'c2lnbmF0dXJlLW9mLW81');
    expect(ordersService.getOrder).not.toHaveBeenCalled();
    expect(page.data.can).toMatchObject({ start: true });
  });

  test('a slip that is not theirs shows the error, nothing else', async () => {
    fakeApp({ id: 'm2', role: 'member', name: '队员2' });
    ordersService.getOrderBySlip.mockRejectedValue(apiError(404, '找不到该工单'));
    const page = createPage('pages/order-detail/order-detail');
    page.onLoad({ id: 'o5', slip: 'c2lnbmF0dXJlLW9mLW81' });
    await flush();
    expect(page.data.order).toBe(null);
    expect(page.data.error).toBe('找不到该工单');
  });
});
