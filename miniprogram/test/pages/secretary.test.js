jest.mock('../../src/services/orders');
jest.mock('../../src/services/registrations');

const ordersService = require('../../src/services/orders');
const registrationsService = require('../../src/services/registrations');
const { createPage, flush, fakeApp, apiError, ev } = require('../helpers/page');

function order(extra) {
  return Object.assign({ id: 'o1', status: 'submitted', category_name: '家电维修', description: '修空调', address: '和平路1号', actions: ['dispatch', 'reject'] }, extra);
}

const RECS = {
  items: [
    { member: { id: 'm1', name: '王强', skills: ['电工'], org_name: '一支部' }, score: 0.92, reasons: ['技能匹配', '距离近'] },
    { member: { id: 'm2', name: '李敏', skills: [], org_name: '二支部' }, score: 0.5, reasons: ['近期未服务'] }
  ]
};

beforeEach(() => fakeApp({ id: 's1', role: 'secretary' }));

describe('dispatch list page', () => {
  test('lists submitted orders of my organisation with paging, opens the dispatch screen', async () => {
    ordersService.listOrders.mockResolvedValueOnce({ items: [order()], next_cursor: 'c20' }).mockResolvedValueOnce({ items: [order({ id: 'o2' })], next_cursor: null });
    const page = createPage('pkg-secretary/pages/dispatch/dispatch');
    page.onLoad();
    await flush();
    expect(ordersService.listOrders).toHaveBeenCalledWith({ scope: 'org', status: 'submitted', offset: 0, limit: 20 });
    await page.onReachBottom();
    expect(page.data.list.items).toHaveLength(2);
    page.onSelect({ detail: { id: 'o1' } });
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pkg-secretary/pages/dispatch-detail/dispatch-detail?id=o1' });
  });

  test('empty list after load', async () => {
    ordersService.listOrders.mockResolvedValue({ items: [], next_cursor: null });
    const page = createPage('pkg-secretary/pages/dispatch/dispatch');
    page.onLoad();
    await flush();
    expect(page.data.list).toMatchObject({ loaded: true, loading: false, items: [] });
  });
});

describe('dispatch detail page', () => {
  async function open(o) {
    ordersService.getOrder.mockResolvedValue(o || order());
    ordersService.getRecommendations.mockResolvedValue(RECS);
    const page = createPage('pkg-secretary/pages/dispatch-detail/dispatch-detail');
    await page.onLoad({ id: 'o1' });
    return page;
  }

  test('shows recommended volunteers with reasons and a default due time in the future', async () => {
    const page = await open();
    expect(page.data.recs.map((r) => r.name)).toEqual(['王强', '李敏']);
    expect(page.data.recs[0].reasons).toEqual(['技能匹配', '距离近']);
    expect(page.data.canDispatch).toBe(true);
    expect(Date.parse(page.data.dueDate + 'T' + page.data.dueTime + ':00+08:00')).toBeGreaterThan(Date.now());
  });

  test('the match is a percentage and 「0 天前」 reads 今天', async () => {
    ordersService.getOrder.mockResolvedValue(order());
    ordersService.getRecommendations.mockResolvedValue({
      items: [{ member: { id: 'm1', name: '王强', skills: ['电工', '家电维修'] }, score: 0.7349, reasons: ['上次服务在 0 天前', '上次服务在 3 天前'] }]
    });
    const page = createPage('pkg-secretary/pages/dispatch-detail/dispatch-detail');
    await page.onLoad({ id: 'o1' });
    expect(page.data.recs[0]).toMatchObject({ scoreText: '73%', skills: '电工、家电维修', reasons: ['上次服务是今天', '上次服务在 3 天前'] });
  });

  test('dispatches to the chosen volunteers with the due time and note', async () => {
    const page = await open();
    await page.onDispatch();
    expect(ordersService.dispatchOrder).not.toHaveBeenCalled();
    expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: '请至少选择一名队员，或发布到任务大厅' }));
    page.onToggle(ev({ index: 1 }));
    page.onToggle(ev({ index: 0 }));
    page.onToggle(ev({ index: 1 }));
    page.onDueDate(ev({}, { value: '2099-05-01' }));
    page.onDueTime(ev({}, { value: '18:00' }));
    page.onNote(ev({}, { value: '请带工具' }));
    ordersService.dispatchOrder.mockResolvedValue(order({ status: 'dispatched' }));
    await page.onDispatch();
    expect(ordersService.dispatchOrder).toHaveBeenCalledWith('o1', { volunteer_ids: ['m1'], due_at: '2099-05-01T18:00:00+08:00', note: '请带工具' });
    expect(wx.navigateBack).toHaveBeenCalled();
  });

  test('publishes to the task hall', async () => {
    const page = await open();
    page.onMode(ev({ key: 'hall' }));
    page.onDueDate(ev({}, { value: '2099-05-01' }));
    page.onDueTime(ev({}, { value: '09:00' }));
    ordersService.dispatchOrder.mockResolvedValue(order({ status: 'dispatched' }));
    await page.onDispatch();
    expect(ordersService.dispatchOrder).toHaveBeenCalledWith('o1', { to_hall: true, due_at: '2099-05-01T09:00:00+08:00' });
  });

  test('a due time in the past is refused locally', async () => {
    const page = await open();
    page.onMode(ev({ key: 'hall' }));
    page.onDueDate(ev({}, { value: '2020-01-01' }));
    await page.onDispatch();
    expect(ordersService.dispatchOrder).not.toHaveBeenCalled();
    expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: '完成时限需晚于现在' }));
  });

  test('reject requires a reason and sends it', async () => {
    const page = await open();
    wx.answerModal({ confirm: true, content: '' });
    await page.onReject();
    expect(ordersService.rejectOrder).not.toHaveBeenCalled();
    wx.answerModal({ confirm: true, content: '不属于服务范围' });
    ordersService.rejectOrder.mockResolvedValue(order({ status: 'rejected' }));
    await page.onReject();
    expect(ordersService.rejectOrder).toHaveBeenCalledWith('o1', '不属于服务范围');
    expect(wx.navigateBack).toHaveBeenCalled();
  });

  test('a dispatch conflict (409) reloads the order and stays on the page', async () => {
    const page = await open();
    page.onMode(ev({ key: 'hall' }));
    page.onDueDate(ev({}, { value: '2099-05-01' }));
    ordersService.dispatchOrder.mockRejectedValue(apiError(409, '工单状态已变化'));
    ordersService.getOrder.mockResolvedValue(order({ status: 'dispatched', actions: [] }));
    await page.onDispatch();
    await flush();
    expect(wx.navigateBack).not.toHaveBeenCalled();
    expect(page.data.canDispatch).toBe(false);
    expect(page.data.submitting).toBe(false);
  });

  test('an order that can no longer be dispatched does not ask for recommendations', async () => {
    const page = await open(order({ status: 'dispatched', actions: [] }));
    expect(ordersService.getRecommendations).not.toHaveBeenCalled();
    expect(page.data.canDispatch).toBe(false);
  });
});

describe('registration review page', () => {
  test('lists pending registrations, approves and rejects with a reason', async () => {
    registrationsService.listRegistrations.mockResolvedValue({
      items: [
        { id: 'r1', name: '王强', status: 'pending', skills: ['电工'] },
        { id: 'r2', name: '李敏', status: 'pending', skills: [] }
      ],
      next_cursor: null
    });
    registrationsService.approveRegistration.mockResolvedValue({ id: 'r1', status: 'approved' });
    registrationsService.rejectRegistration.mockResolvedValue({ id: 'r2', status: 'rejected' });
    const page = createPage('pkg-secretary/pages/registrations/registrations');
    await page.onLoad();
    expect(registrationsService.listRegistrations).toHaveBeenCalledWith({ status: 'pending', offset: 0, limit: 20 });
    expect(page.data.list.items[0].skillsText).toBe('电工');
    await page.onApprove(ev({ id: 'r1' }));
    expect(registrationsService.approveRegistration).toHaveBeenCalledWith('r1');
    wx.answerModal({ confirm: true, content: '非本支部党员' });
    await page.onReject(ev({ id: 'r2' }));
    expect(registrationsService.rejectRegistration).toHaveBeenCalledWith('r2', '非本支部党员');
    expect(page.data.list.items).toEqual([]);
  });
});
