const { renderComponent, simulate } = require('../helpers/component');

function text(comp) {
  return comp.dom.textContent.replace(/\s+/g, ' ').trim();
}

describe('status-tag', () => {
  test('renders the Chinese label and tone of an order status and follows changes', async () => {
    const comp = renderComponent('status-tag', { status: 'submitted' });
    const tag = comp.querySelector('.tag');
    expect(tag.dom.textContent).toBe('待派单');
    expect(tag.dom.className).toContain('tag-warning');
    comp.setData({ status: 'closed' });
    await simulate.sleep(0);
    expect(comp.querySelector('.tag').dom.textContent).toBe('已完成');
    expect(comp.querySelector('.tag').dom.className).toContain('tag-success');
  });

  test('uses registration labels when kind="registration"', () => {
    const comp = renderComponent('status-tag', { status: 'pending', kind: 'registration' });
    expect(text(comp)).toBe('待审核');
  });
});

describe('order-card', () => {
  const order = {
    id: 'o1',
    status: 'dispatched',
    category_name: '家电维修',
    description: '空调不制冷',
    address: '和平路1号',
    org_name: '和平社区',
    distance_km: 1.234,
    points: 10,
    created_at: '2025-03-01T02:00:00Z'
  };

  test('renders category, status, description, address and local time for the resident', () => {
    const comp = renderComponent('order-card', { order: Object.assign({}, order, { due_at: '2025-03-03T02:00:00Z' }) });
    const t = text(comp);
    expect(t).toContain('家电维修');
    expect(t).toContain('待接单');
    expect(t).toContain('空调不制冷');
    expect(t).toContain('地址：和平路1号');
    expect(t).toContain('2025-03-01 10:00');
    // the volunteers' due time and points are not the resident's business
    expect(t).not.toContain('完成时限');
    expect(t).not.toContain('积分');
  });

  test('in the task hall: community and distance instead of the address, the points it earns', () => {
    const comp = renderComponent('order-card', { order: Object.assign({}, order, { due_at: '2025-03-03T02:00:00Z' }), viewer: 'hall' });
    const t = text(comp);
    expect(t).toContain('和平社区 · 距您 1.2 公里');
    expect(t).not.toContain('和平路1号');
    expect(t).toContain('完成时限：2025-03-03 10:00');
    expect(t).toContain('可得 10 积分');
  });

  test('a volunteer sees no due time once the order is closed', () => {
    const closed = Object.assign({}, order, { status: 'closed', due_at: '2025-03-03T02:00:00Z' });
    const t = text(renderComponent('order-card', { order: closed, viewer: 'volunteer' }));
    expect(t).not.toContain('完成时限');
    expect(t).toContain('已获 10 积分');
  });

  test('tapping the card triggers select with the order id', async () => {
    const comp = renderComponent('order-card', { order });
    const handler = jest.fn();
    comp.addEventListener('select', handler);
    comp.querySelector('.oc').dispatchEvent('tap');
    await simulate.sleep(0);
    expect(handler).toHaveBeenCalledTimes(1);
    expect(handler.mock.calls[0][0].detail).toEqual({ id: 'o1' });
  });
});

describe('empty-state', () => {
  test('shows text and fires action when its button is tapped', async () => {
    const comp = renderComponent('empty-state', { text: '暂无工单', actionText: '我要点单' });
    expect(text(comp)).toContain('暂无工单');
    const handler = jest.fn();
    comp.addEventListener('action', handler);
    comp.querySelector('.empty-action').dispatchEvent('tap');
    await simulate.sleep(0);
    expect(handler).toHaveBeenCalledTimes(1);
  });

  test('loading shows a spinner text instead of the message', () => {
    const comp = renderComponent('empty-state', { text: '暂无工单', loading: true });
    expect(text(comp)).toBe('加载中…');
    expect(comp.querySelector('.empty-action')).toBeFalsy();
  });
});

describe('timeline', () => {
  test('lists events newest first with Chinese action names, actor and note', () => {
    const comp = renderComponent('timeline', {
      items: [
        { at: '2025-03-01T02:00:00Z', action: 'create', from: null, to: 'submitted', actor_name: '张大妈', note: '' },
        { at: '2025-03-01T03:00:00Z', action: 'dispatch', from: 'submitted', to: 'dispatched', actor_name: '李书记', note: '请尽快' }
      ]
    });
    const rows = comp.querySelectorAll('.tl-item');
    expect(rows).toHaveLength(2);
    expect(rows[0].dom.textContent).toContain('组织派单');
    expect(rows[0].dom.textContent).toContain('李书记');
    expect(rows[0].dom.textContent).toContain('请尽快');
    expect(rows[0].dom.textContent).toContain('待接单');
    expect(rows[1].dom.textContent).toContain('提交需求');
  });

  test('empty timeline says so', () => {
    const comp = renderComponent('timeline', { items: [] });
    expect(text(comp)).toBe('暂无进度');
  });
});

describe('rating', () => {
  test('tapping a star selects it and triggers change', async () => {
    const comp = renderComponent('rating', { value: 0 });
    const handler = jest.fn();
    comp.addEventListener('change', handler);
    comp.querySelectorAll('.star')[3].dispatchEvent('tap');
    await simulate.sleep(0);
    expect(handler.mock.calls[0][0].detail).toEqual({ value: 4 });
    expect(comp.querySelectorAll('.star-on')).toHaveLength(4);
    expect(text(comp)).toContain('满意');
  });

  test('readonly ignores taps', async () => {
    const comp = renderComponent('rating', { value: 2, readonly: true });
    const handler = jest.fn();
    comp.addEventListener('change', handler);
    comp.querySelectorAll('.star')[4].dispatchEvent('tap');
    await simulate.sleep(0);
    expect(handler).not.toHaveBeenCalled();
    expect(comp.querySelectorAll('.star-on')).toHaveLength(2);
  });
});

describe('list-footer', () => {
  test('shows loading / more / end / retry states', async () => {
    const comp = renderComponent('list-footer', { count: 3, loading: true });
    expect(text(comp)).toBe('加载中…');
    comp.setData({ loading: false, hasMore: true });
    await simulate.sleep(0);
    expect(text(comp)).toBe('上拉加载更多');
    comp.setData({ hasMore: false });
    await simulate.sleep(0);
    expect(text(comp)).toBe('没有更多了');
    comp.setData({ error: true });
    await simulate.sleep(0);
    const handler = jest.fn();
    comp.addEventListener('retry', handler);
    comp.querySelector('.footer-retry').dispatchEvent('tap');
    await simulate.sleep(0);
    expect(handler).toHaveBeenCalledTimes(1);
  });

  test('renders nothing for an empty list', () => {
    const comp = renderComponent('list-footer', { count: 0, hasMore: false });
    expect(text(comp)).toBe('');
  });
});

describe('privacy-popup', () => {
  test('opens when WeChat asks for privacy authorisation and resolves on agree', async () => {
    const comp = renderComponent('privacy-popup', {});
    expect(wx.onNeedPrivacyAuthorization).toHaveBeenCalled();
    expect(comp.querySelector('.pp-mask')).toBeFalsy();
    const resolve = jest.fn();
    const handler = wx.onNeedPrivacyAuthorization.mock.calls[wx.onNeedPrivacyAuthorization.mock.calls.length - 1][0];
    handler(resolve);
    await simulate.sleep(0);
    expect(comp.querySelector('.pp-mask')).toBeTruthy();
    comp.instance.onAgree();
    await simulate.sleep(0);
    expect(resolve).toHaveBeenCalledWith({ buttonId: 'privacy-agree', event: 'agree' });
    expect(comp.querySelector('.pp-mask')).toBeFalsy();
  });

  test('disagree resolves with disagree', async () => {
    const comp = renderComponent('privacy-popup', {});
    const resolve = jest.fn();
    wx.onNeedPrivacyAuthorization.mock.calls[0][0](resolve);
    await simulate.sleep(0);
    comp.querySelector('.pp-no').dispatchEvent('tap');
    await simulate.sleep(0);
    expect(resolve).toHaveBeenCalledWith({ event: 'disagree' });
  });
});

describe('order-card photos', () => {
  test('shows the first photo thumbnail (absolute URL) and the count', () => {
    const comp = renderComponent('order-card', {
      order: { id: 'o9', status: 'submitted', description: '看看', photos: [{ id: 'a', thumb_url: '/media/a/thumb?s=1' }, { id: 'b', thumb_url: '/media/b/thumb?s=2' }] }
    });
    expect(comp.querySelector('.oc-thumb')).toBeTruthy();
    expect(comp.instance.data.view.thumb).toBe('http://127.0.0.1:8000/media/a/thumb?s=1');
    expect(comp.querySelector('.oc-count').dom.textContent).toBe('2张');
  });

  test('no photo, no thumbnail', () => {
    const comp = renderComponent('order-card', { order: { id: 'o8', status: 'submitted', description: '看看' } });
    expect(comp.querySelector('.oc-thumb')).toBeFalsy();
  });
});

describe('photo-grid (photos of a wish, a voice, an activity)', () => {
  const photos = [
    { id: 'a', url: '/api/v1/media/a?s=1', thumb_url: '/api/v1/media/a/thumb?s=1', width: 800, height: 600 },
    { id: 'b', url: 'https://cdn.example.com/b?s=2', thumb_url: 'https://cdn.example.com/b/thumb?s=2', width: 600, height: 800 }
  ];

  test('one thumbnail per photo (signed paths made absolute); a tap previews every full image', async () => {
    const comp = renderComponent('photo-grid', { photos });
    await simulate.sleep(0);
    const images = comp.querySelectorAll('.pg-photo');
    expect(images).toHaveLength(2);
    expect(comp.instance.data.items.map((p) => p.thumb_url)).toEqual(['http://127.0.0.1:8000/api/v1/media/a/thumb?s=1', 'https://cdn.example.com/b/thumb?s=2']);
    images[1].dispatchEvent('tap');
    await simulate.sleep(0);
    expect(wx.previewImage).toHaveBeenCalledWith({ urls: ['http://127.0.0.1:8000/api/v1/media/a?s=1', 'https://cdn.example.com/b?s=2'], current: 'https://cdn.example.com/b?s=2' });
  });

  test('no photos, nothing drawn', async () => {
    const comp = renderComponent('photo-grid', { photos: [] });
    await simulate.sleep(0);
    expect(comp.querySelector('.pg')).toBeFalsy();
    const none = renderComponent('photo-grid', {});
    await simulate.sleep(0);
    expect(none.querySelector('.pg')).toBeFalsy();
  });
});
