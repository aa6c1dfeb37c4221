jest.mock('../../src/services/notifications');

const notificationsService = require('../../src/services/notifications');
const subscribe = require('../../src/utils/subscribe');
const { apiError, flush } = require('../helpers/page');

const QUOTAS = {
  items: [
    { template: 'order', template_name: '工单状态提醒', template_id: 'T_ORDER', remaining: 0 },
    { template: 'todo', template_name: '待办事项提醒', template_id: 'T_TODO', remaining: 2 }
  ]
};

function answer(result) {
  wx.requestSubscribeMessage = jest.fn((o) => o.success(Object.assign({ errMsg: 'requestSubscribeMessage:ok' }, result)));
}

beforeEach(() => {
  subscribe.reset();
  subscribe.options.retryDelayMs = 0;
  notificationsService.getSubscriptions.mockResolvedValue(QUOTAS);
  notificationsService.reportSubscriptions.mockResolvedValue({ items: [] });
});

describe('utils/subscribe', () => {
  test('fetches the template ids once per session', async () => {
    await expect(subscribe.prefetch()).resolves.toEqual(['T_ORDER', 'T_TODO']);
    await subscribe.prefetch();
    await Promise.all([subscribe.prefetch(), subscribe.prefetch()]);
    expect(notificationsService.getSubscriptions).toHaveBeenCalledTimes(1);
    subscribe.reset();
    await subscribe.prefetch();
    expect(notificationsService.getSubscriptions).toHaveBeenCalledTimes(2);
  });

  test('posts only the ids the user accepted, with an Idempotency-Key', async () => {
    await subscribe.prefetch();
    answer({ T_ORDER: 'accept', T_TODO: 'reject' });
    await expect(subscribe.ask()).resolves.toEqual(['T_ORDER']);
    await expect(subscribe.settled()).resolves.toEqual([true]);
    expect(wx.requestSubscribeMessage).toHaveBeenCalledWith(expect.objectContaining({ tmplIds: ['T_ORDER', 'T_TODO'] }));
    expect(notificationsService.reportSubscriptions).toHaveBeenCalledTimes(1);
    const [ids, key] = notificationsService.reportSubscriptions.mock.calls[0];
    expect(ids).toEqual(['T_ORDER']);
    expect(key).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  test('nothing accepted (reject, ban, filter) → nothing posted', async () => {
    await subscribe.prefetch();
    answer({ T_ORDER: 'reject', T_TODO: 'ban' });
    await expect(subscribe.ask()).resolves.toEqual([]);
    answer({ T_ORDER: 'filter' });
    await subscribe.ask();
    await subscribe.settled();
    expect(notificationsService.reportSubscriptions).not.toHaveBeenCalled();
  });

  test('each consent gets its own key; a network failure is retried once with the same key', async () => {
    await subscribe.prefetch();
    answer({ T_ORDER: 'accept', T_TODO: 'accept' });
    notificationsService.reportSubscriptions.mockRejectedValueOnce(apiError(0, '网络不可用，请稍后重试'));
    await expect(subscribe.ask()).resolves.toEqual(['T_ORDER', 'T_TODO']);
    await expect(subscribe.settled()).resolves.toEqual([true]);
    await subscribe.ask();
    await subscribe.settled();
    const keys = notificationsService.reportSubscriptions.mock.calls.map((c) => c[1]);
    expect(keys).toHaveLength(3);
    expect(keys[0]).toBe(keys[1]);
    expect(keys[2]).not.toBe(keys[0]);
  });

  test('a 4xx answer is not retried; every failure is silent', async () => {
    await subscribe.prefetch();
    answer({ T_ORDER: 'accept' });
    notificationsService.reportSubscriptions.mockRejectedValue(apiError(400, '包含未配置的订阅消息模板'));
    await expect(subscribe.ask()).resolves.toEqual(['T_ORDER']);
    await expect(subscribe.settled()).resolves.toEqual([false]);
    expect(notificationsService.reportSubscriptions).toHaveBeenCalledTimes(1);
    expect(wx.showToast).not.toHaveBeenCalled();
    expect(wx.showModal).not.toHaveBeenCalled();
  });

  test('the dialog failing or throwing, or no API at all, resolves [] and posts nothing', async () => {
    await subscribe.prefetch();
    // the default fake fails (e.g. not in a user gesture, or the switch is off)
    await expect(subscribe.ask()).resolves.toEqual([]);
    wx.requestSubscribeMessage = jest.fn(() => {
      throw new Error('not supported');
    });
    await expect(subscribe.ask()).resolves.toEqual([]);
    delete wx.requestSubscribeMessage;
    await expect(subscribe.ask()).resolves.toEqual([]);
    expect(notificationsService.reportSubscriptions).not.toHaveBeenCalled();
  });

  test('ids not fetched yet: no dialog this time, the fetch starts; a failed fetch is silent and retried later', async () => {
    notificationsService.getSubscriptions.mockRejectedValueOnce(apiError(503, '服务暂不可用'));
    await expect(subscribe.ask()).resolves.toEqual([]);
    expect(wx.requestSubscribeMessage).not.toHaveBeenCalled();
    await flush();
    expect(notificationsService.getSubscriptions).toHaveBeenCalledTimes(1);
    await expect(subscribe.ask()).resolves.toEqual([]);
    await flush();
    expect(notificationsService.getSubscriptions).toHaveBeenCalledTimes(2);
    answer({ T_ORDER: 'accept' });
    await expect(subscribe.ask()).resolves.toEqual(['T_ORDER']);
  });

  test('the dialog opens synchronously inside the caller (never after an await)', async () => {
    await subscribe.prefetch();
    answer({});
    subscribe.ask();
    expect(wx.requestSubscribeMessage).toHaveBeenCalledTimes(1);
  });

  test('no configured templates → no dialog; at most 3 ids per dialog; blank and repeated ids dropped', async () => {
    notificationsService.getSubscriptions.mockResolvedValueOnce({ items: [] });
    await subscribe.prefetch();
    await subscribe.ask();
    expect(wx.requestSubscribeMessage).not.toHaveBeenCalled();
    subscribe.reset();
    notificationsService.getSubscriptions.mockResolvedValueOnce({
      items: ['A', 'B', '', 'B', 'C', 'D'].map((id) => ({ template: 'x', template_id: id, remaining: 0 }))
    });
    await expect(subscribe.prefetch()).resolves.toEqual(['A', 'B', 'C', 'D']);
    answer({});
    await subscribe.ask();
    expect(wx.requestSubscribeMessage.mock.calls[0][0].tmplIds).toEqual(['A', 'B', 'C']);
  });

  test('answered(): waits for the dialog, not for the report; gives up after answerTimeoutMs', async () => {
    await subscribe.prefetch();
    let reply;
    wx.requestSubscribeMessage = jest.fn((o) => {
      reply = o.success;
    });
    let hung;
    notificationsService.reportSubscriptions.mockReturnValue(new Promise((r) => (hung = r)));
    const waiting = subscribe.answered(subscribe.ask());
    reply({ T_TODO: 'accept' });
    await expect(waiting).resolves.toEqual(['T_TODO']);
    hung({ items: [] });
    await expect(subscribe.settled()).resolves.toEqual([true]);
    await expect(subscribe.answered(null)).resolves.toEqual([]);
    subscribe.options.answerTimeoutMs = 5;
    wx.requestSubscribeMessage = jest.fn();
    await expect(subscribe.answered(subscribe.ask())).resolves.toEqual([]);
    subscribe.options.answerTimeoutMs = 60000;
  });
});
