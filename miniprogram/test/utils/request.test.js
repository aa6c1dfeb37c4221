const { request, ApiError, NETWORK_MESSAGE } = require('../../src/utils/request');

/** Scripts wx.request: each entry is {status, body} or 'fail'. Records every call. */
function scriptRequests(...responses) {
  const calls = [];
  wx.request = jest.fn((opts) => {
    calls.push(opts);
    const r = responses.shift();
    if (!r) throw new Error('unexpected request ' + opts.method + ' ' + opts.url);
    setTimeout(() => {
      if (r === 'fail') opts.fail({ errMsg: 'request:fail timeout' });
      else opts.success({ statusCode: r.status, data: r.body, header: {} });
    }, 0);
  });
  return calls;
}

function loginOk(token) {
  return { status: 200, body: { token, expires_at: '2099-01-01T00:00:00Z', user: { id: 'u1', role: 'resident' } } };
}

beforeEach(() => {
  wx.setStorageSync('tx_token', { token: 'old-token', expires_at: '2099-01-01T00:00:00Z' });
});

describe('utils/request', () => {
  test('builds the URL from the path template, params and query, and sends the Bearer token', async () => {
    const calls = scriptRequests({ status: 200, body: { items: [], next_cursor: null } });
    const res = await request({ method: 'GET', path: '/orders/{id}/recommendations', params: { id: 'a b' }, query: { status: 'submitted', scope: '', x: null } });
    expect(res).toEqual({ items: [], next_cursor: null });
    expect(calls[0].url).toBe('http://127.0.0.1:8000/api/v1/orders/a%20b/recommendations?status=submitted');
    expect(calls[0].method).toBe('GET');
    expect(calls[0].header.Authorization).toBe('Bearer old-token');
    expect(wx.showToast).not.toHaveBeenCalled();
  });

  test('401 → exactly one silent re-login, then the same request is retried with the new token', async () => {
    const calls = scriptRequests(
      { status: 401, body: { error: { code: 'token_expired', message: '登录已过期' } } },
      loginOk('new-token'),
      { status: 200, body: { id: 'o1', status: 'accepted' } }
    );
    const res = await request({ method: 'POST', path: '/orders/{id}/accept', params: { id: 'o1' }, data: {}, header: { 'Idempotency-Key': 'k-1' } });
    expect(res).toEqual({ id: 'o1', status: 'accepted' });
    expect(calls).toHaveLength(3);
    expect(wx.login).toHaveBeenCalledTimes(1);
    expect(calls[1].url).toBe('http://127.0.0.1:8000/api/v1/auth/wechat-login');
    expect(calls[1].data).toEqual({ code: 'wx-code-1' });
    expect(calls[1].header.Authorization).toBeUndefined();
    expect(calls[2].url).toBe(calls[0].url);
    expect(calls[2].header.Authorization).toBe('Bearer new-token');
    expect(calls[2].header['Idempotency-Key']).toBe('k-1');
    expect(wx.getStorageSync('tx_token').token).toBe('new-token');
    expect(wx.showToast).not.toHaveBeenCalled();
  });

  test('a second 401 after the re-login does not loop: it fails with a Chinese toast', async () => {
    const calls = scriptRequests(
      { status: 401, body: { error: { code: 'unauthorized', message: '请先登录' } } },
      loginOk('new-token'),
      { status: 401, body: { error: { code: 'unauthorized', message: '请先登录' } } }
    );
    const err = await request({ method: 'GET', path: '/me' }).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(401);
    expect(calls).toHaveLength(3);
    expect(wx.login).toHaveBeenCalledTimes(1);
    expect(wx.showToast).toHaveBeenCalledTimes(1);
    expect(wx.showToast.mock.calls[0][0]).toMatchObject({ title: '请先登录', icon: 'none' });
    expect(wx.getStorageSync('tx_token')).toBe('');
  });

  test('shows the API Chinese error message and exposes the field errors', async () => {
    scriptRequests({
      status: 400,
      body: { error: { code: 'validation_error', message: '提交的内容有误', fields: { description: '不能为空', photos: ['最多9张'] } } }
    });
    const err = await request({ method: 'POST', path: '/orders', data: {} }).catch((e) => e);
    expect(err.status).toBe(400);
    expect(err.code).toBe('validation_error');
    expect(err.message).toBe('提交的内容有误');
    expect(err.fields).toEqual({ description: '不能为空', photos: '最多9张' });
    expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: '提交的内容有误', icon: 'none' }));
  });

  test.each([
    [409, { error: { code: 'conflict', message: '工单已被其他队员接单' } }, '工单已被其他队员接单'],
    [503, { error: { code: 'db_unavailable' } }, '服务暂不可用，请稍后重试'],
    [429, 'Too Many Requests', '操作太频繁，请稍后再试'],
    [500, { detail: { nested: true } }, '服务开小差了，请稍后重试'],
    [404, { error: { code: 'not_found', message: 'Order not found' } }, '内容不存在或已被删除'],
    [403, { error: { code: 'forbidden', message: { zh: '无权限' } } }, '没有权限进行此操作']
  ])('status %i shows a Chinese string toast, never a raw object', async (status, body, text) => {
    scriptRequests({ status, body });
    const err = await request({ method: 'GET', path: '/me' }).catch((e) => e);
    expect(err.message).toBe(text);
    const title = wx.showToast.mock.calls[0][0].title;
    expect(typeof title).toBe('string');
    expect(title).toBe(text);
    expect(title).not.toMatch(/object|undefined|\{/);
  });

  test('network failure → "网络不可用，请稍后重试"', async () => {
    scriptRequests('fail');
    const err = await request({ method: 'GET', path: '/me' }).catch((e) => e);
    expect(err.code).toBe('network_error');
    expect(err.message).toBe(NETWORK_MESSAGE);
    expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: '网络不可用，请稍后重试' }));
  });

  test('silent requests reject without a toast', async () => {
    scriptRequests({ status: 409, body: { error: { code: 'conflict', message: '状态冲突' } } });
    await expect(request({ method: 'GET', path: '/me', silent: true })).rejects.toMatchObject({ status: 409 });
    expect(wx.showToast).not.toHaveBeenCalled();
  });

  test('without a token it logs in first (not counted as the re-login)', async () => {
    wx.removeStorageSync('tx_token');
    const calls = scriptRequests(loginOk('t1'), { status: 200, body: { id: 'u1' } });
    await request({ method: 'GET', path: '/me' });
    expect(calls[0].url).toMatch(/\/auth\/wechat-login$/);
    expect(calls[1].header.Authorization).toBe('Bearer t1');
  });

  test('a failed re-login is reported once and the request is not retried', async () => {
    const calls = scriptRequests(
      { status: 401, body: {} },
      { status: 429, body: { error: { code: 'rate_limited', message: '登录太频繁，请稍后再试' } } }
    );
    const err = await request({ method: 'GET', path: '/me' }).catch((e) => e);
    expect(calls).toHaveLength(2);
    expect(err.message).toBe('登录太频繁，请稍后再试');
    expect(wx.showToast).toHaveBeenCalledTimes(1);
  });

  test('a missing path parameter is a programming error, reported in Chinese', async () => {
    scriptRequests();
    const err = await request({ method: 'GET', path: '/orders/{id}', params: {} }).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(wx.request).not.toHaveBeenCalled();
    expect(wx.showToast.mock.calls[0][0].title).toBe('服务开小差了，请稍后重试');
  });
});

describe('services over the real request layer: privacy and notifications', () => {
  const meService = require('../../src/services/me');
  const notificationsService = require('../../src/services/notifications');

  test('DELETE /me 409 rejects with the server\'s Chinese message and shows no toast (the page shows a dialog)', async () => {
    const calls = scriptRequests({ status: 409, body: { error: { code: 'open_orders', message: '您还有在办的服务工单，请先完成或退回后再注销' } } });
    const err = await meService.eraseMe().catch((e) => e);
    expect(calls[0].method).toBe('DELETE');
    expect(calls[0].url).toBe('http://127.0.0.1:8000/api/v1/me');
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(409);
    expect(err.message).toBe('您还有在办的服务工单，请先完成或退回后再注销');
    expect(wx.showToast).not.toHaveBeenCalled();
  });

  test('POST /subscriptions sends the accepted ids and the Idempotency-Key; failures stay silent', async () => {
    const calls = scriptRequests({ status: 503, body: { error: { code: 'db_unavailable', message: 'database unavailable' } } });
    await expect(notificationsService.reportSubscriptions(['T1'], 'key-12345678')).rejects.toBeInstanceOf(ApiError);
    expect(calls[0].data).toEqual({ template_ids: ['T1'] });
    expect(calls[0].header['Idempotency-Key']).toBe('key-12345678');
    expect(wx.showToast).not.toHaveBeenCalled();
  });

  test('GET /notifications?unread=true and POST /notifications/read bodies', async () => {
    const calls = scriptRequests({ status: 200, body: { items: [], next_cursor: null } }, { status: 200, body: { updated: 1, unread: 0 } }, { status: 200, body: { updated: 0, unread: 0 } });
    await notificationsService.listNotifications({ unread: true, offset: 0, limit: 20 });
    await notificationsService.markRead(['n1']);
    await notificationsService.markAllRead();
    expect(calls[0].url).toBe('http://127.0.0.1:8000/api/v1/notifications?unread=true&limit=20');
    expect(calls[1].data).toEqual({ ids: ['n1'] });
    expect(calls[2].data).toEqual({ all: true });
  });
});
