const format = require('../../src/utils/format');
const { ListController, emptyList } = require('../../src/utils/list');
const { uuid4 } = require('../../src/utils/uuid');

describe('utils/format', () => {
  test('parseISO handles Z, offsets, microseconds and plain dates', () => {
    expect(format.parseISO('2025-03-01T02:00:00Z').getTime()).toBe(Date.UTC(2025, 2, 1, 2));
    expect(format.parseISO('2025-03-01T10:00:00+08:00').getTime()).toBe(Date.UTC(2025, 2, 1, 2));
    expect(format.parseISO('2025-03-01T02:00:00.123456+00:00').getTime()).toBe(Date.UTC(2025, 2, 1, 2, 0, 0, 123));
    expect(format.parseISO('garbage')).toBeNull();
    expect(format.parseISO('')).toBeNull();
  });

  test('formatDateTime shows local time (Asia/Shanghai in tests)', () => {
    expect(format.formatDateTime('2025-03-01T02:05:00Z')).toBe('2025-03-01 10:05');
    expect(format.formatDateTime(null)).toBe('');
  });

  test('toISO builds ISO 8601 with the local offset', () => {
    expect(format.toISO('2025-03-01', '09:30')).toBe('2025-03-01T09:30:00+08:00');
    expect(format.toISO('bad', '09:30')).toBe('');
  });

  test('status labels are Chinese and unknown statuses do not crash', () => {
    expect(format.statusInfo('in_service').text).toBe('服务中');
    expect(format.statusInfo('weird').text).toBe('weird');
    expect(format.actionText('auto_confirm')).toBe('自动确认');
    expect(format.formatDelta(5)).toBe('+5');
    expect(format.formatDelta(-2.5)).toBe('-2.5');
  });
});

describe('utils/uuid', () => {
  test('uuid4 has the v4 shape and differs each time', () => {
    const a = uuid4();
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(uuid4()).not.toBe(a);
  });
});

describe('utils/list', () => {
  function fakePage() {
    const page = { data: { list: emptyList() } };
    page.setData = (p) => Object.assign(page.data, p);
    return page;
  }

  test('refresh loads the first page, loadMore passes next_cursor back until null', async () => {
    const page = fakePage();
    const fetcher = jest
      .fn()
      .mockResolvedValueOnce({ items: [{ id: 1 }, { id: 2 }], next_cursor: 'c2' })
      .mockResolvedValueOnce({ items: [{ id: 3 }], next_cursor: null });
    const list = new ListController(page, 'list', fetcher, { limit: 2 });
    await list.refresh();
    expect(fetcher).toHaveBeenLastCalledWith({ cursor: null, offset: 0, limit: 2 });
    expect(page.data.list).toMatchObject({ loaded: true, loading: false, hasMore: true, nextCursor: 'c2' });
    await list.loadMore();
    expect(fetcher).toHaveBeenLastCalledWith({ cursor: 'c2', offset: 'c2', limit: 2 });
    expect(page.data.list.items.map((x) => x.id)).toEqual([1, 2, 3]);
    expect(page.data.list.hasMore).toBe(false);
    await list.loadMore();
    expect(fetcher).toHaveBeenCalledTimes(2);
    expect(wx.stopPullDownRefresh).toHaveBeenCalled();
  });

  test('errors are kept as text; a failed page keeps the items and offers retry', async () => {
    const page = fakePage();
    const fetcher = jest
      .fn()
      .mockRejectedValueOnce(new Error('网络不可用，请稍后重试'))
      .mockResolvedValueOnce({ items: [{ id: 1 }], next_cursor: 'c1' })
      .mockRejectedValueOnce(new Error('x'));
    const list = new ListController(page, 'list', fetcher);
    await list.refresh();
    expect(page.data.list.error).toBe('网络不可用，请稍后重试');
    await list.refresh();
    expect(page.data.list.error).toBe('');
    await list.loadMore();
    expect(page.data.list.items).toHaveLength(1);
    expect(page.data.list.loadMoreError).toBe(true);
  });

  test('a stale answer (tab switched meanwhile) is ignored', async () => {
    const page = fakePage();
    let resolveFirst;
    const fetcher = jest
      .fn()
      .mockImplementationOnce(() => new Promise((r) => (resolveFirst = r)))
      .mockResolvedValueOnce({ items: [{ id: 'new' }], next_cursor: null });
    const list = new ListController(page, 'list', fetcher);
    const first = list.refresh();
    await list.refresh();
    resolveFirst({ items: [{ id: 'old' }], next_cursor: null });
    await first;
    expect(page.data.list.items).toEqual([{ id: 'new' }]);
  });
});

describe('utils/auth', () => {
  const auth = require('../../src/utils/auth');

  function scriptLogin(token) {
    wx.request = jest.fn((opts) =>
      setTimeout(() => opts.success({ statusCode: 200, data: { token, expires_at: '2099-01-01T00:00:00Z', user: { id: 'u1', role: 'member' } } }), 0)
    );
  }

  test('concurrent logins share one wx.login and one API call, and store the token', async () => {
    scriptLogin('tok');
    const [a, b] = await Promise.all([auth.login(), auth.login()]);
    expect(a).toEqual(b);
    expect(wx.login).toHaveBeenCalledTimes(1);
    expect(wx.request).toHaveBeenCalledTimes(1);
    expect(wx.getStorageSync('tx_token').token).toBe('tok');
    expect(auth.isLoggedIn()).toBe(true);
  });

  test('logout calls the API, clears the session and blocks silent login until an explicit one', async () => {
    wx.setStorageSync('tx_token', { token: 'tok', expires_at: '2099-01-01T00:00:00Z' });
    wx.request = jest.fn((opts) => setTimeout(() => opts.success({ statusCode: 200, data: { ok: true } }), 0));
    await auth.logout();
    expect(wx.request.mock.calls[0][0].url).toMatch(/\/api\/v1\/auth\/logout$/);
    expect(wx.request.mock.calls[0][0].header.Authorization).toBe('Bearer tok');
    expect(auth.isLoggedIn()).toBe(false);
    await expect(auth.ensureLogin()).rejects.toMatchObject({ code: 'not_logged_in', message: '请先登录' });
    scriptLogin('tok2');
    await auth.login(true);
    expect(auth.isLoggedIn()).toBe(true);
    expect(wx.getStorageSync('tx_logged_out')).toBe('');
  });

  test('an expired token counts as logged out', () => {
    wx.setStorageSync('tx_token', { token: 'tok', expires_at: '2000-01-01T00:00:00Z' });
    expect(auth.isLoggedIn()).toBe(false);
  });

  test('wx.login failure becomes a Chinese error', async () => {
    wx.login = jest.fn((opts) => opts.fail({ errMsg: 'login:fail' }));
    await expect(auth.login()).rejects.toMatchObject({ message: '微信登录失败，请稍后重试' });
  });
});

describe('ListController cursors and duplicates', () => {
  test('rewind keeps the cursor; a page of duplicates only is followed by the next page', async () => {
    const page = { data: {}, setData(p) { this.data = Object.assign({}, this.data, p); } };
    const pages = [
      { items: [{ id: 'a' }, { id: 'b' }], next_cursor: 'cb' },
      { items: [{ id: 'b' }], next_cursor: 'cb2' },
      { items: [{ id: 'c' }], next_cursor: null }
    ];
    const fetcher = jest.fn(() => Promise.resolve(pages.shift()));
    const list = new ListController(page, 'list', fetcher, { limit: 2 });
    await list.refresh();
    list.rewind(1);
    expect(page.data.list.nextCursor).toBe('cb');
    await list.loadMore();
    expect(fetcher.mock.calls.map((c) => c[0].cursor)).toEqual([null, 'cb', 'cb2']);
    expect(page.data.list.items.map((x) => x.id)).toEqual(['a', 'b', 'c']);
    expect(page.data.list.hasMore).toBe(false);
  });

  test('pageQuery sends the page token as cursor, never an offset', () => {
    const { pageQuery } = require('../../src/utils/list');
    expect(pageQuery({ status: 'submitted', offset: 0, limit: 20 })).toEqual({ status: 'submitted', limit: 20 });
    expect(pageQuery({ offset: 'abc', limit: 20 })).toEqual({ cursor: 'abc', limit: 20 });
    expect(pageQuery({ cursor: 'xyz', offset: 'xyz', limit: 5 })).toEqual({ cursor: 'xyz', limit: 5 });
  });
});

describe('one status table for every page', () => {
  const fmt = require('../../src/utils/format');

  test('tabs are named from the same table as the status tags', () => {
    ['mine', 'assigned', 'org'].forEach((scope) =>
      fmt.orderTabs(scope).forEach((t) => expect(t.text).toBe(t.key ? fmt.ORDER_STATUS[t.key].text : '全部'))
    );
    expect(fmt.orderTabs('org').map((t) => t.text)).toEqual(['待派单', '待接单', '已接单', '服务中']);
    expect(fmt.registrationTabs().map((t) => t.text)).toEqual(['待审核', '已通过', '未通过']);
    expect(fmt.statusInfo('pending', fmt.REGISTRATION_STATUS).text).toBe('待审核');
  });

  test('names are joined with 、 and counts say 99+ or n+ when there are more', () => {
    expect(fmt.joinNames(['家电维修', '电工'])).toBe('家电维修、电工');
    expect(fmt.joinNames(null)).toBe('');
    expect([fmt.countText(0), fmt.countText(3), fmt.countText(3, true), fmt.countText(120)]).toEqual(['', '3', '3+', '99+']);
  });
});

describe('list behavior (behaviors/list.js)', () => {
  const behavior = require('../../src/behaviors/list');

  function page() {
    const p = { data: { status: 'a', list: JSON.parse(JSON.stringify(behavior.data.list)) } };
    p.setData = (patch) => {
      p.data = Object.assign({}, p.data, patch);
    };
    Object.keys(behavior.methods).forEach((k) => {
      p[k] = behavior.methods[k].bind(p);
    });
    return p;
  }

  test('initList loads the first page; tabs switch status and reload; return visits reload', async () => {
    const fetcher = jest.fn((q) => Promise.resolve({ items: [{ id: q.offset + ':' + Date.now() }], next_cursor: q.cursor ? null : 'c20' }));
    const p = page();
    await p.initList(fetcher);
    expect(fetcher).toHaveBeenLastCalledWith({ cursor: null, offset: 0, limit: 20 });
    await p.onReachBottom();
    expect(p.data.list.items).toHaveLength(2);
    await p.onTab({ currentTarget: { dataset: { key: 'b' } } });
    expect(p.data.status).toBe('b');
    expect(p.data.list.items).toHaveLength(1);
    await p.onTab({ currentTarget: { dataset: { key: 'b' } } });
    expect(fetcher).toHaveBeenCalledTimes(3);
    p.refreshOnReturn();
    expect(fetcher).toHaveBeenCalledTimes(3);
    p.refreshOnReturn();
    expect(fetcher).toHaveBeenCalledTimes(4);
  });
});
