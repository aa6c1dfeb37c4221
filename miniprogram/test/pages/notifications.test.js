jest.mock('../../src/services/notifications');
jest.mock('../../src/services/orders');
jest.mock('../../src/services/tasks');

const notificationsService = require('../../src/services/notifications');
const ordersService = require('../../src/services/orders');
const tasksService = require('../../src/services/tasks');
const { createPage, flush, fakeApp, apiError, ev } = require('../helpers/page');

function note(id, extra) {
  return Object.assign(
    { id, kind: 'order_accepted', title: '工单已被接单', body: '「助老」已由王强接单', order_id: null, read: false, read_at: null, created_at: '2025-03-01T08:30:00Z' },
    extra
  );
}

function loggedIn() {
  wx.setStorageSync('tx_token', { token: 't', expires_at: '2099-01-01T00:00:00Z' });
}

async function openInbox(items, unread, nextOffset) {
  fakeApp({ id: 'u1', role: 'resident' });
  loggedIn();
  notificationsService.listNotifications.mockResolvedValue({ items, next_cursor: nextOffset === undefined ? null : 'c' + nextOffset });
  notificationsService.getUnreadCount.mockResolvedValue({ count: unread });
  const page = createPage('pages/notifications/index');
  await page.onLoad();
  return page;
}

describe('notifications inbox page', () => {
  test('loads the inbox (unread first, as the server sends it), the unread count and the tab badge', async () => {
    const page = await openInbox([note('n1', { order_id: 'o1' }), note('n2'), note('n3', { read: true })], 2);
    expect(notificationsService.listNotifications).toHaveBeenCalledWith({ unread: undefined, offset: 0, limit: 20 });
    expect(page.data.list.items.map((n) => [n.id, n.read, n.hasOrder])).toEqual([
      ['n1', false, true],
      ['n2', false, false],
      ['n3', true, false]
    ]);
    expect(page.data.list.items[0].timeText).toBe('2025-03-01 16:30');
    expect(page.data.unread).toBe(2);
    expect(wx.setTabBarBadge).toHaveBeenCalledWith(expect.objectContaining({ index: 2, text: '2' }));
  });

  test('a message whose action is done (the order was confirmed) reads as done and is marked read, silently', async () => {
    ordersService.listOrders.mockResolvedValue({ items: [{ id: 'o-waiting' }], next_cursor: null });
    notificationsService.markRead.mockResolvedValue({ updated: 1, unread: 1 });
    const page = await openInbox(
      [note('n1', { kind: 'order_completed', order_id: 'o-confirmed' }), note('n2', { kind: 'order_completed', order_id: 'o-waiting' }), note('n3', { order_id: 'o-x' })],
      3
    );
    await flush();
    expect(ordersService.listOrders).toHaveBeenCalledWith({ scope: 'mine', status: 'completed', offset: 0, limit: 100 }, { silent: true });
    expect(page.data.list.items.map((n) => [n.id, n.done, n.read])).toEqual([
      ['n1', true, true],
      ['n2', false, false],
      ['n3', false, false]
    ]);
    expect(notificationsService.markRead).toHaveBeenCalledWith(['n1']);
    expect(page.data.unread).toBe(1);
    expect(wx.showToast).not.toHaveBeenCalled();
  });

  test('when the open orders are not known (error, or more than one page) nothing is marked done', async () => {
    ordersService.listOrders.mockResolvedValue({ items: [], next_cursor: 'c100' });
    const page = await openInbox([note('n1', { kind: 'order_completed', order_id: 'o1' })], 1);
    await flush();
    expect(page.data.list.items[0]).toMatchObject({ done: false, read: false });
    expect(notificationsService.markRead).not.toHaveBeenCalled();
  });

  test('a member: a dispatch no longer in the task hall is done', async () => {
    fakeApp({ id: 'm1', role: 'member' });
    loggedIn();
    notificationsService.listNotifications.mockResolvedValue({ items: [note('n1', { kind: 'order_dispatched', order_id: 'taken' })], next_cursor: null });
    notificationsService.getUnreadCount.mockResolvedValue({ count: 1 });
    notificationsService.markRead.mockResolvedValue({ updated: 1, unread: 0 });
    ordersService.listOrders.mockResolvedValue({ items: [], next_cursor: null });
    tasksService.listTaskHall.mockResolvedValue({ items: [{ id: 'other' }], next_cursor: null });
    const page = createPage('pages/notifications/index');
    await page.onLoad();
    await flush();
    expect(tasksService.listTaskHall).toHaveBeenCalledWith({ offset: 0, limit: 100 }, { silent: true });
    expect(page.data.list.items[0].done).toBe(true);
  });

  test('the 未读 tab asks for ?unread=true', async () => {
    const page = await openInbox([note('n1')], 1);
    await page.onTab(ev({ key: 'unread' }));
    expect(notificationsService.listNotifications).toHaveBeenLastCalledWith({ unread: true, offset: 0, limit: 20 });
    expect(page.data.tab).toBe('unread');
  });

  test('tapping an unread order notice marks it read and opens the order', async () => {
    const page = await openInbox([note('n1', { order_id: 'o9' }), note('n2')], 2);
    notificationsService.markRead.mockResolvedValue({ updated: 1, unread: 1 });
    await page.onTapItem(ev({ id: 'n1' }));
    expect(notificationsService.markRead).toHaveBeenCalledWith(['n1']);
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/order-detail/order-detail?id=o9' });
    expect(page.data.list.items[0].read).toBe(true);
    expect(page.data.unread).toBe(1);
    expect(getApp().globalData.unread).toBe(1);
  });

  test('tapping a read notice without an order only expands it; nothing is sent', async () => {
    const page = await openInbox([note('n1', { read: true, body: '很长的正文' })], 0);
    await page.onTapItem(ev({ id: 'n1' }));
    expect(notificationsService.markRead).not.toHaveBeenCalled();
    expect(wx.navigateTo).not.toHaveBeenCalled();
    expect(page.data.list.items[0].expanded).toBe(true);
  });

  test('a failed mark-read puts the dot back, silently', async () => {
    const page = await openInbox([note('n1')], 1);
    notificationsService.markRead.mockRejectedValue(apiError(0, '网络不可用，请稍后重试'));
    await page.onTapItem(ev({ id: 'n1' }));
    expect(page.data.list.items[0].read).toBe(false);
    expect(page.data.unread).toBe(1);
    expect(wx.showToast).not.toHaveBeenCalled();
  });

  test('after marking read the next page continues from the cursor and duplicates are dropped', async () => {
    const first = Array.from({ length: 20 }, (_, i) => note('n' + i));
    const page = await openInbox(first, 25, 20);
    notificationsService.markRead.mockResolvedValue({ updated: 1, unread: 24 });
    await page.onTapItem(ev({ id: 'n3' }));
    // n3 moved down to the read group: the cursor names n19, so nothing is skipped; a repeat is dropped
    notificationsService.listNotifications.mockResolvedValueOnce({ items: [note('n19'), note('n20'), note('n21')], next_cursor: null });
    await page.onReachBottom();
    expect(notificationsService.listNotifications).toHaveBeenLastCalledWith({ unread: undefined, offset: 'c20', limit: 20 });
    const ids = page.data.list.items.map((n) => n.id);
    expect(ids).toHaveLength(22);
    expect(new Set(ids).size).toBe(22);
    expect(page.data.list.hasMore).toBe(false);
  });

  test('全部已读 marks everything, clears the badge and reloads', async () => {
    const page = await openInbox([note('n1'), note('n2')], 2);
    notificationsService.markAllRead.mockResolvedValue({ updated: 2, unread: 0 });
    notificationsService.listNotifications.mockResolvedValue({ items: [note('n1', { read: true }), note('n2', { read: true })], next_cursor: null });
    notificationsService.getUnreadCount.mockResolvedValue({ count: 0 });
    await page.onMarkAll();
    expect(notificationsService.markAllRead).toHaveBeenCalledTimes(1);
    expect(page.data.unread).toBe(0);
    expect(page.data.list.items.every((n) => n.read)).toBe(true);
    expect(wx.removeTabBarBadge).toHaveBeenCalledWith(expect.objectContaining({ index: 2 }));
    expect(page.data.markingAll).toBe(false);
    // nothing unread: the button does nothing
    await page.onMarkAll();
    expect(notificationsService.markAllRead).toHaveBeenCalledTimes(1);
  });

  test('a failed 全部已读 keeps the unread state', async () => {
    const page = await openInbox([note('n1')], 1);
    notificationsService.markAllRead.mockRejectedValue(apiError(503, '服务暂不可用，请稍后重试'));
    await page.onMarkAll();
    expect(page.data.list.items[0].read).toBe(false);
    expect(page.data.unread).toBe(1);
    expect(page.data.markingAll).toBe(false);
  });

  test('a load error is shown with a retry; pull-down reloads', async () => {
    fakeApp({ id: 'u1', role: 'resident' });
    loggedIn();
    notificationsService.listNotifications.mockRejectedValueOnce(apiError(503, '服务暂不可用，请稍后重试'));
    notificationsService.getUnreadCount.mockResolvedValue({ count: 0 });
    const page = createPage('pages/notifications/index');
    await page.onLoad();
    expect(page.data.list.error).toBe('服务暂不可用，请稍后重试');
    expect(page.data.list.loading).toBe(false);
    notificationsService.listNotifications.mockResolvedValue({ items: [], next_cursor: null });
    await page.onPullDownRefresh();
    expect(page.data.list.error).toBe('');
    expect(page.data.list.loaded).toBe(true);
    expect(page.data.list.items).toEqual([]);
    expect(wx.stopPullDownRefresh).toHaveBeenCalled();
  });

  test('opened from a subscribe message while logged out: asks to log in, then loads', async () => {
    const app = fakeApp(null);
    app.ready.mockRejectedValue(apiError(401, '请先登录'));
    const page = createPage('pages/notifications/index');
    await page.onLoad();
    expect(page.data.needLogin).toBe(true);
    expect(notificationsService.listNotifications).not.toHaveBeenCalled();
    app.login.mockImplementation(() => {
      loggedIn();
      return Promise.resolve({ id: 'u1' });
    });
    notificationsService.listNotifications.mockResolvedValue({ items: [note('n1')], next_cursor: null });
    notificationsService.getUnreadCount.mockResolvedValue({ count: 1 });
    await page.onLogin();
    await flush();
    expect(page.data.needLogin).toBe(false);
    expect(page.data.list.items).toHaveLength(1);
    expect(page.data.unread).toBe(1);
  });
});
