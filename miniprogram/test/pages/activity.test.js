jest.mock('../../src/services/activities');

const path = require('path');
const activitiesService = require('../../src/services/activities');
const { createPage, flush, fakeApp, apiError, ev } = require('../helpers/page');
const { simulate } = require('../helpers/component');
const { parseToken, placesText } = require('../../src/pkg-activity/utils');

const ID = '6650f0f0f0f0f0f0f0f0f0f0';
const TOKEN = 'txa1.' + ID + '.in.59000001.AbCdEfGhIjKlMnOpQrStUvWx';

function activity(extra) {
  return Object.assign(
    {
      id: ID,
      kind: 'volunteer',
      kind_name: '志愿服务活动',
      status: 'published',
      status_name: '报名中',
      title: '社区环境清洁日',
      address: '阳光社区广场',
      start_at: '2026-05-01T01:00:00Z',
      end_at: '2026-05-01T04:00:00Z',
      capacity: 10,
      places_left: 3,
      waiting: 0,
      signed_up: 7,
      actions: ['signup'],
      my_signup: null
    },
    extra
  );
}

function located() {
  wx.getLocation = jest.fn((o) => o.success({ longitude: 116.4, latitude: 39.9, accuracy: 25 }));
}

describe('activity helpers', () => {
  test('a scanned code names its activity and direction; anything else is refused', () => {
    expect(parseToken(TOKEN)).toEqual({ id: ID, direction: 'in', token: TOKEN });
    expect(parseToken('https://example.com/x')).toBeNull();
    expect(parseToken('txa1.' + ID + '.sideways.1.x')).toBeNull();
  });

  test('places left, full with a waiting list, or no limit', () => {
    expect(placesText(activity())).toBe('剩余 3 个名额');
    expect(placesText(activity({ places_left: 0, waiting: 4 }))).toBe('名额已满（候补 4 人）');
    expect(placesText(activity({ capacity: null }))).toBe('名额不限');
  });
});

describe('activity list', () => {
  beforeEach(() => fakeApp({ id: 'u1', role: 'member', org_id: 'b1' }));

  test('loads my organisation\'s activities, then nearby ones with my location, then by kind', async () => {
    activitiesService.listActivities.mockResolvedValue({ items: [activity({ distance_km: 0.35 })], next_cursor: null });
    located();
    const page = createPage('pkg-activity/pages/list/list');
    page.onLoad();
    await flush();
    expect(activitiesService.listActivities).toHaveBeenLastCalledWith({ offset: 0, limit: 20 });
    expect(page.data.list.items[0].placesText).toBe('剩余 3 个名额');
    expect(page.data.organiser).toBe(false);
    await page.onTab(ev({ tab: 'near' }));
    expect(activitiesService.listActivities).toHaveBeenLastCalledWith({ offset: 0, limit: 20, near: '116.4,39.9' });
    expect(page.data.list.items[0].distanceText).toBe('350 米');
    await page.onKind(ev({}, { value: '2' }));
    expect(activitiesService.listActivities).toHaveBeenLastCalledWith({ offset: 0, limit: 20, near: '116.4,39.9', kind: 'party_day' });
  });

  test('a refused location says how to allow it', async () => {
    activitiesService.listActivities.mockResolvedValue({ items: [], next_cursor: null });
    wx.getLocation = jest.fn((o) => o.fail({ errMsg: 'getLocation:fail auth deny' }));
    const page = createPage('pkg-activity/pages/list/list');
    page.onLoad();
    await page.onTab(ev({ tab: 'near' }));
    expect(page.data.locateError).toContain('允许定位');
  });
});

describe('activity detail', () => {
  beforeEach(() => fakeApp({ id: 'u1', role: 'member' }));

  test('shows places left and signs up; a full activity puts me on the waiting list', async () => {
    activitiesService.getActivity.mockResolvedValue(activity());
    const page = createPage('pkg-activity/pages/detail/detail');
    await page.onLoad({ id: ID });
    expect(page.data.can).toEqual({ signup: true });
    expect(page.data.activity.placesText).toBe('剩余 3 个名额');
    activitiesService.signUp.mockResolvedValue({ signup: { status: 'waiting' } });
    activitiesService.getActivity.mockResolvedValue(activity({ actions: ['cancel_signup'], my_signup: { status: 'waiting', status_name: '候补中' } }));
    await page.onSignUp();
    expect(activitiesService.signUp).toHaveBeenCalledWith(ID);
    expect(wx.showToast).toHaveBeenLastCalledWith(expect.objectContaining({ title: '名额已满，已进入候补' }));
    expect(page.data.can).toEqual({ cancel_signup: true });
    wx.answerModal({ confirm: true });
    activitiesService.cancelSignup.mockResolvedValue({ signup: { status: 'withdrawn' } });
    await page.onCancelSignup();
    expect(activitiesService.cancelSignup).toHaveBeenCalledWith(ID);
  });

  test('scans the code, sends the token with the phone\'s location, and checks in', async () => {
    activitiesService.getActivity.mockResolvedValue(activity({ status: 'in_progress', actions: ['checkin'] }));
    const page = createPage('pkg-activity/pages/detail/detail');
    await page.onLoad({ id: ID });
    wx.scanCode = jest.fn((o) => o.success({ result: TOKEN }));
    located();
    activitiesService.checkIn.mockResolvedValue({ checkin_at: '2026-05-01T01:02:00Z' });
    await page.onScan();
    expect(wx.scanCode).toHaveBeenCalledWith(expect.objectContaining({ onlyFromCamera: true }));
    expect(activitiesService.checkIn).toHaveBeenCalledWith(ID, {
      token: TOKEN,
      location: { type: 'Point', coordinates: [116.4, 39.9] },
      accuracy: 25
    });
    expect(activitiesService.checkOut).not.toHaveBeenCalled();
  });

  test('a code that is not a check-in code is refused before any request', async () => {
    activitiesService.getActivity.mockResolvedValue(activity({ actions: ['checkin'] }));
    const page = createPage('pkg-activity/pages/detail/detail');
    await page.onLoad({ id: ID });
    wx.scanCode = jest.fn((o) => o.success({ result: 'hello' }));
    await page.onScan();
    expect(activitiesService.checkIn).not.toHaveBeenCalled();
    expect(wx.showToast).toHaveBeenLastCalledWith(expect.objectContaining({ title: '这不是活动签到二维码' }));
  });
});

describe('scan page', () => {
  beforeEach(() => fakeApp({ id: 'u1', role: 'member' }));

  test('the direction comes from the code; the server\'s refusal is shown as is', async () => {
    const out = TOKEN.replace('.in.', '.out.');
    wx.scanCode = jest.fn((o) => o.success({ result: out }));
    located();
    activitiesService.checkOut.mockRejectedValue(apiError(409, '二维码已过期，请扫描屏幕上的最新二维码'));
    const page = createPage('pkg-activity/pages/scan/scan');
    await page.onLoad();
    expect(activitiesService.checkOut).toHaveBeenCalledWith(ID, expect.objectContaining({ token: out }));
    expect(page.data.state).toBe('error');
    expect(page.data.message).toBe('二维码已过期，请扫描屏幕上的最新二维码');
    activitiesService.checkOut.mockResolvedValue({ hours: 2.5 });
    await page.onScan();
    expect(page.data.message).toBe('签退成功，本次服务 2.5 小时');
  });
});

describe('organiser pages', () => {
  beforeEach(() => fakeApp({ id: 's1', role: 'secretary', org_id: 'b1' }));

  test('the QR page refreshes the rotating code and stops when the activity is over', async () => {
    jest.useFakeTimers();
    try {
      activitiesService.getQr.mockResolvedValue({ token: TOKEN, image: 'data:image/png;base64,AAA' });
      const page = createPage('pkg-activity/pages/qr/qr');
      await page.onLoad({ id: ID });
      page.onShow();
      expect(page.data.image).toBe('data:image/png;base64,AAA');
      activitiesService.getQr.mockResolvedValue({ token: TOKEN, image: 'data:image/png;base64,BBB' });
      jest.advanceTimersByTime(5000);
      await Promise.resolve();
      await Promise.resolve();
      expect(activitiesService.getQr).toHaveBeenCalledTimes(2);
      expect(page.data.image).toBe('data:image/png;base64,BBB');
      activitiesService.getQr.mockRejectedValue(apiError(409, '活动未发布或已结束，无需签到二维码'));
      jest.advanceTimersByTime(5000);
      await Promise.resolve();
      await Promise.resolve();
      expect(page.data.error).toBe('活动未发布或已结束，无需签到二维码');
      expect(page.timer).toBeNull();
      page.onUnload();
    } finally {
      jest.useRealTimers();
    }
  });

  test('create checks the form, then publishes at my node', async () => {
    const page = createPage('pkg-activity/pages/create/create');
    page.onLoad();
    await page.onSubmit();
    expect(page.data.errors.title).toBe('请填写活动名称');
    page.onInput(ev({ field: 'title' }, { value: '重阳节敬老' }));
    page.onInput(ev({ field: 'capacity' }, { value: '12' }));
    activitiesService.createActivity.mockResolvedValue({ id: ID });
    await page.onSubmit();
    const body = activitiesService.createActivity.mock.calls[0][0];
    expect(body).toMatchObject({ org_id: 'b1', kind: 'volunteer', title: '重阳节敬老', capacity: 12, points_mode: 'per_hour', publish: true });
    expect(body.end_at > body.start_at).toBe(true);
    expect(wx.redirectTo).toHaveBeenCalledWith({ url: '/pkg-activity/pages/detail/detail?id=' + ID });
  });

  test('attendance lists times and places, and settles after a confirmation', async () => {
    activitiesService.getAttendance.mockResolvedValue({
      activity: activity({ status: 'ended', actions: ['attendance', 'settle'] }),
      items: [
        { id: 'r1', member_name: '队员1', checkin_at: '2026-05-01T01:05:00Z', checkout_at: '2026-05-01T03:40:00Z', checkin_distance_m: 42, hours: 2.5 },
        { id: 'r2', member_name: '队员2', checkin_at: null, checkout_at: null, status_name: '已报名' }
      ]
    });
    const page = createPage('pkg-activity/pages/attendance/attendance');
    await page.onLoad({ id: ID });
    expect(page.data.canSettle).toBe(true);
    expect(page.data.rows[0].inText).toBe('2026-05-01 09:05');
    wx.answerModal({ confirm: true });
    activitiesService.settle.mockResolvedValue({ status: 'settled', attended: 1 });
    await page.onSettle();
    expect(wx.showModal).toHaveBeenLastCalledWith(expect.objectContaining({ content: expect.stringContaining('1 位出席者') }));
    expect(activitiesService.settle).toHaveBeenCalledWith(ID);
  });
});

describe('activity-card (miniprogram-simulate)', () => {
  test('renders kind, title, places and distance, and tells the page which was tapped', async () => {
    let id;
    jest.isolateModules(() => {
      id = simulate.load(path.resolve(__dirname, '../../src/pkg-activity/components/activity-card/index'), 'activity-card', { rootPath: path.resolve(__dirname, '../../src') });
    });
    const comp = simulate.render(id, { activity: Object.assign(activity(), { placesText: '剩余 3 个名额', whenText: '2026-05-01 09:00 – 12:00', distanceText: '350 米' }) });
    comp.attach(document.createElement('parent-wrapper'));
    const text = comp.dom.textContent.replace(/\s+/g, ' ');
    expect(text).toContain('志愿服务活动');
    expect(text).toContain('社区环境清洁日');
    expect(text).toContain('剩余 3 个名额');
    expect(text).toContain('350 米');
    const selected = jest.fn();
    comp.addEventListener('select', selected);
    comp.querySelector('.act-card').dispatchEvent('tap');
    await simulate.sleep(0);
    expect(selected).toHaveBeenCalled();
    expect(selected.mock.calls[0][0].detail).toEqual({ id: ID });
  });
});
