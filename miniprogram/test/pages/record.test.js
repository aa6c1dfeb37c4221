jest.mock('../../src/services/records');
jest.mock('../../src/services/reports');
jest.mock('../../src/services/transfers');
jest.mock('../../src/services/certificates');
jest.mock('../../src/services/orgs');
jest.mock('../../src/utils/auth');

const recordsService = require('../../src/services/records');
const reportsService = require('../../src/services/reports');
const transfersService = require('../../src/services/transfers');
const certificatesService = require('../../src/services/certificates');
const orgsService = require('../../src/services/orgs');
const storage = require('../../src/utils/storage');
const auth = require('../../src/utils/auth');
const { createPage, fakeApp, apiError, ev } = require('../helpers/page');

const MEMBER = { id: 'm1', role: 'member', name: '王建国', org_id: 'b1' };
const STAFF = { id: 's1', role: 'secretary', name: '书记', org_id: 'c1' };

function record(extra) {
  return Object.assign(
    {
      member: { id: 'm1', name: '王建国', org_name: '阳光社区第一党支部', party_status: '正式党员', volunteer_no: 'TX5FB4ED3B4A' },
      period: { from: '2025-12-03T16:00:00Z', to: '2026-12-03T16:00:00Z' },
      totals: { hours: 14.5, points_earned: 162, orders: 7, rating_avg: 4.71, rating_count: 7, activities: 3 },
      months: [
        { month: '2026-11', points: 12, hours: 3 },
        { month: '2026-12', points: 100, hours: 6 }
      ],
      orders: [{ id: 'o1', category_name: '助老', org_name: '阳光社区第一党支部', closed_at: '2026-12-03T01:00:00Z', hours: 2, points: 6, rating: 4 }],
      community_service: [{ community_id: 'c1', community_name: '阳光社区', posts: ['楼栋长', '助老'], status: 'confirmed', confirmed_at: '2026-12-01T02:00:00Z', ended_at: null, orders: 1, hours: 2 }],
      honours: [{ title: '服务标兵', month: '2026-11', org_name: '阳光社区第一党支部', confirmed_at: '2026-12-01T02:00:00Z' }],
      sections: { activities: [{ title: '主题党日', at: '2026-11-20T02:00:00Z', hours: 3 }], unknown: [{ x: 1 }] }
    },
    extra
  );
}

describe('我的服务记录', () => {
  test('the last year by default, newest month first, each line worded; another period sends its days', async () => {
    fakeApp(MEMBER);
    recordsService.getMyRecord.mockResolvedValue(record());
    const page = createPage('pkg-record/pages/record/record');
    await page.onLoad();
    expect(recordsService.getMyRecord).toHaveBeenCalledWith({});
    const r = page.data.record;
    expect(r.periodText).toBe('2025-12-04 至 2026-12-03');
    expect(r.stats.map((s) => s.num)).toEqual(['14.5', '162', '7', '4.71']);
    expect(r.stats[3].label).toBe('7 次评价均分');
    expect(r.extra).toEqual([{ key: 'activities', name: '参加活动', count: 3 }]);
    expect(r.months.map((m) => m.text)).toEqual(['2026年12月', '2026年11月']);
    expect(r.months.map((m) => m.width)).toEqual([100, 50]);
    expect(r.orders[0]).toMatchObject({ title: '助老', day: '2026-12-03', stars: '★★★★☆', rated: true });
    expect(r.community[0]).toMatchObject({ name: '阳光社区', posts: '楼栋长、助老', statusText: '已报到', since: '2026-12-01' });
    expect(r.honours[0]).toMatchObject({ title: '服务标兵', month: '2026年11月' });
    expect(r.sections.map((s) => s.name)).toEqual(['参加活动']); // a section the page cannot name is left out
    expect(r.empty).toBe(false);

    jest.useFakeTimers({ doNotFake: ['setTimeout', 'setImmediate', 'nextTick'] }).setSystemTime(new Date(2026, 5, 15, 10));
    try {
      await page.onPeriod(ev({ key: 'quarter' }));
      expect(recordsService.getMyRecord).toHaveBeenLastCalledWith({ from: '2026-03-16', to: '2026-06-15' });
      await page.onPeriod(ev({ key: 'thisyear' }));
      expect(recordsService.getMyRecord).toHaveBeenLastCalledWith({ from: '2026-01-01', to: '2026-06-15' });
    } finally {
      jest.useRealTimers();
    }
  });

  test('nothing served: says so; a failure shows the message and retries', async () => {
    fakeApp(MEMBER);
    recordsService.getMyRecord.mockResolvedValueOnce(record({ totals: { hours: 0, orders: 0 }, months: [], orders: [], community_service: [], honours: [], sections: {} }));
    const page = createPage('pkg-record/pages/record/record');
    await page.onLoad();
    expect(page.data.record.empty).toBe(true);
    expect(page.data.record.stats[3].num).toBe('—');
    recordsService.getMyRecord.mockRejectedValueOnce(apiError(503, '服务暂不可用，请稍后重试'));
    await page.onPeriod(ev({ key: 'three' }));
    expect(page.data.error).toBe('服务暂不可用，请稍后重试');
    recordsService.getMyRecord.mockResolvedValueOnce(record());
    await page.onRetry();
    expect(page.data.error).toBe('');
    expect(page.data.record.orders).toHaveLength(1);
  });
});

function report(extra) {
  return Object.assign(
    { id: 'r1', member_name: '陈思远', unit_name: '税务局机关党支部', community_name: '阳光社区', post_names: ['环境整治', '文明劝导'], status: 'pending', created_at: '2026-12-03T01:00:00Z', actions: ['end'] },
    extra
  );
}

describe('双报到', () => {
  test('a member opened for a community: posts loaded, every missing choice named, then sent', async () => {
    fakeApp(MEMBER);
    reportsService.listReports.mockResolvedValue({ items: [report({ status: 'ended', actions: [] })], next_cursor: null });
    reportsService.listPosts.mockResolvedValue({ items: [{ id: 'p1', name: '楼栋长', description: '联系一栋楼', active: true }, { id: 'p2', name: '停用', active: false }, { id: 'p3', name: '助老' }] });
    const page = createPage('pkg-record/pages/reports/reports');
    await page.onLoad({ community: 'c1', name: encodeURIComponent('阳光社区') });
    expect(reportsService.listReports).toHaveBeenCalledWith({ status: '', offset: 0, limit: 20 });
    expect(page.data.showForm).toBe(true);
    expect(page.data.form.community).toEqual({ id: 'c1', name: '阳光社区' });
    expect(reportsService.listPosts).toHaveBeenCalledWith('c1');
    expect(page.data.form.posts.map((p) => p.name)).toEqual(['楼栋长', '助老']);

    await page.onSubmit();
    expect(reportsService.createReport).not.toHaveBeenCalled();
    expect(page.data.form.errors).toEqual({ post_ids: '请至少选择一个服务岗位' });

    page.onTogglePost(ev({ index: 1 }));
    page.onNote(ev({}, { value: ' 周末有空 ' }));
    reportsService.createReport.mockRejectedValueOnce(apiError(409, '双报到适用于机关、企事业单位党支部的党员；社区党支部的党员已在社区服务'));
    await page.onSubmit();
    expect(reportsService.createReport).toHaveBeenCalledWith({ community_id: 'c1', post_ids: ['p3'], note: '周末有空' });
    expect(page.data.showForm).toBe(true); // kept for another try; the toast said why
    expect(page.data.submitting).toBe(false);

    reportsService.createReport.mockResolvedValueOnce(report());
    await page.onSubmit();
    expect(page.data.showForm).toBe(false);
    expect(page.data.hasOpen).toBe(true);
  });

  test('a member with a report in progress sees no form; ending asks why and replaces the card', async () => {
    fakeApp(MEMBER);
    reportsService.listReports.mockResolvedValue({ items: [report({ status: 'confirmed' })], next_cursor: null });
    const page = createPage('pkg-record/pages/reports/reports');
    await page.onLoad({ form: '1' });
    expect(page.data.hasOpen).toBe(true);
    expect(page.data.showForm).toBe(false);
    expect(page.data.list.items[0].can).toEqual({ confirm: false, decline: false, end: true });
    wx.answerModal({ confirm: false });
    await page.onEnd(ev({ id: 'r1' }));
    expect(reportsService.endReport).not.toHaveBeenCalled();
    wx.answerModal({ confirm: true, content: '搬家' });
    reportsService.endReport.mockResolvedValue(report({ status: 'ended', actions: [] }));
    await page.onEnd(ev({ id: 'r1' }));
    expect(reportsService.endReport).toHaveBeenCalledWith('r1', '搬家');
    expect(page.data.list.items[0].status).toBe('ended');
    expect(page.data.hasOpen).toBe(false);
  });

  test('community staff: the pending tab; confirm takes it off, decline needs a reason, 409 reloads', async () => {
    fakeApp(STAFF);
    reportsService.listReports.mockResolvedValue({ items: [report({ actions: ['confirm', 'decline', 'end'] }), report({ id: 'r2', actions: ['confirm', 'decline', 'end'] })], next_cursor: null });
    const page = createPage('pkg-record/pages/reports/reports');
    await page.onLoad({});
    expect(page.data.staff).toBe(true);
    expect(page.data.tabs.map((t) => t.text)).toEqual(['待确认', '已报到', '已结束']);
    expect(reportsService.listReports).toHaveBeenCalledWith({ status: 'pending', offset: 0, limit: 20 });
    reportsService.confirmReport.mockResolvedValue(report({ status: 'confirmed', actions: ['end'] }));
    await page.onConfirm(ev({ id: 'r1' }));
    expect(reportsService.confirmReport).toHaveBeenCalledWith('r1');
    expect(page.data.list.items.map((r) => r.id)).toEqual(['r2']);

    wx.answerModal({ confirm: true, content: '  ' });
    await page.onDecline(ev({ id: 'r2' }));
    expect(reportsService.declineReport).not.toHaveBeenCalled();
    wx.answerModal({ confirm: true, content: '请向居住地社区报到' });
    reportsService.declineReport.mockRejectedValue(apiError(409, '报到当前状态为「已报到」，不能执行此操作'));
    reportsService.listReports.mockClear();
    await page.onDecline(ev({ id: 'r2' }));
    expect(reportsService.declineReport).toHaveBeenCalledWith('r2', '请向居住地社区报到');
    expect(reportsService.listReports).toHaveBeenCalled();
    expect(page.data.actingId).toBe('');
  });
});

function transfer(extra) {
  return Object.assign(
    {
      id: 't1',
      member_name: '李秀英',
      from_org_name: '阳光社区第二党支部',
      to_org_name: '春风社区第二党支部',
      external: false,
      status: 'pending_in',
      letter_no: '转2026第00001号',
      deadline_at: '2027-01-02T04:00:00Z',
      reason: '搬家',
      actions: ['cancel'],
      timeline: [
        { at: '2026-12-03T01:00:00Z', action: 'request', action_name: '提出申请', actor_name: '李秀英', note: '搬家' },
        { at: '2026-12-03T02:00:00Z', action: 'approve', action_name: '转出审批（开具介绍信）', actor_name: '书记', note: '' }
      ]
    },
    extra
  );
}

describe('组织关系转接', () => {
  test('a member: the timeline newest first; the form names what is missing, sends a branch or an outside organisation', async () => {
    fakeApp(MEMBER);
    transfersService.listTransfers.mockResolvedValue({ items: [transfer({ status: 'returned', actions: [], return_reason: '材料不全' })], next_cursor: null });
    const page = createPage('pkg-record/pages/transfers/transfers');
    await page.onLoad({ form: '1' });
    const t = page.data.list.items[0];
    expect(t.events.map((e) => e.title)).toEqual(['转出审批（开具介绍信）', '提出申请']);
    expect(t.deadlineText).toBe('');
    expect(page.data.showForm).toBe(true);

    await page.onSubmit();
    expect(transfersService.requestTransfer).not.toHaveBeenCalled();
    expect(page.data.form.errors).toEqual({ to_org_id: '请选择接收支部', reason: '请填写转接原因' });

    wx.navigateTo = jest.fn((o) => o.events.selected({ id: 'b4', name: '春风社区第二党支部', type: 'branch' }));
    page.onChooseBranch();
    expect(wx.navigateTo.mock.calls[0][0].url).toContain('types=branch');
    page.onInput(ev({ field: 'reason' }, { value: '搬家到春风社区' }));
    transfersService.requestTransfer.mockResolvedValueOnce(transfer({ status: 'pending_out' }));
    await page.onSubmit();
    expect(transfersService.requestTransfer).toHaveBeenLastCalledWith({ to_org_id: 'b4', reason: '搬家到春风社区' });
    expect(page.data.showForm).toBe(false);

    page.onOpenForm();
    page.onTarget(ev({ key: 'external' }));
    page.onInput(ev({ field: 'reason' }, { value: '工作调动' }));
    await page.onSubmit();
    expect(page.data.form.errors).toEqual({ external_org: '请填写接收组织的名称' });
    page.onInput(ev({ field: 'externalOrg' }, { value: '某区某街道党工委' }));
    transfersService.requestTransfer.mockResolvedValueOnce(transfer({ external: true }));
    await page.onSubmit();
    expect(transfersService.requestTransfer).toHaveBeenLastCalledWith({ external_org: '某区某街道党工委', reason: '工作调动' });
  });

  test('the receiving secretary: accept refused while orders are open shows the whole reason; return needs one', async () => {
    fakeApp(STAFF);
    transfersService.listTransfers.mockResolvedValue({ items: [transfer({ actions: ['accept', 'return'] })], next_cursor: null });
    const page = createPage('pkg-record/pages/transfers/transfers');
    await page.onLoad({ status: 'pending_in' });
    expect(transfersService.listTransfers).toHaveBeenCalledWith({ status: 'pending_in', offset: 0, limit: 10 });
    expect(page.data.list.items[0].deadlineText).toBe('2027-01-02');
    const reason = '该队员还有未办结的工单：家电维修（服务中），请办结或释放后再接收';
    transfersService.acceptTransfer.mockRejectedValueOnce(apiError(409, reason));
    wx.answerModal({ confirm: true }, {});
    await page.onAccept(ev({ id: 't1' }));
    expect(transfersService.acceptTransfer).toHaveBeenCalledWith('t1');
    const shown = wx.showModal.mock.calls.map((c) => c[0].content);
    expect(shown).toContain(reason);

    wx.answerModal({ confirm: true, content: '' });
    await page.onReturn(ev({ id: 't1' }));
    expect(transfersService.returnTransfer).not.toHaveBeenCalled();
    wx.answerModal({ confirm: true, content: '介绍信信息有误' });
    transfersService.returnTransfer.mockResolvedValue(transfer({ status: 'returned', actions: [] }));
    await page.onReturn(ev({ id: 't1' }));
    expect(transfersService.returnTransfer).toHaveBeenCalledWith('t1', '介绍信信息有误');
    expect(page.data.list.items).toHaveLength(0); // no longer waiting: off the 待接收 tab
  });

  test('the outgoing secretary approves; the member cancels', async () => {
    fakeApp(STAFF);
    transfersService.listTransfers.mockResolvedValue({ items: [transfer({ status: 'pending_out', letter_no: null, actions: ['approve', 'cancel'] })], next_cursor: null });
    const page = createPage('pkg-record/pages/transfers/transfers');
    await page.onLoad({});
    expect(page.data.status).toBe('pending_out');
    transfersService.approveTransfer.mockResolvedValue(transfer());
    await page.onApprove(ev({ id: 't1' }));
    expect(transfersService.approveTransfer).toHaveBeenCalledWith('t1');
    expect(page.data.list.items).toHaveLength(0);

    fakeApp(MEMBER);
    transfersService.listTransfers.mockResolvedValue({ items: [transfer()], next_cursor: null });
    const mine = createPage('pkg-record/pages/transfers/transfers');
    await mine.onLoad({});
    expect(mine.data.hasOpen).toBe(true);
    transfersService.cancelTransfer.mockResolvedValue(transfer({ status: 'cancelled', actions: [] }));
    await mine.onCancel(ev({ id: 't1' }));
    expect(transfersService.cancelTransfer).toHaveBeenCalledWith('t1');
    expect(mine.data.list.items[0].status).toBe('cancelled');
    expect(mine.data.hasOpen).toBe(false);
  });
});

function cert(extra) {
  return Object.assign(
    { id: 'c1', member_name: '王建国', period_from: '2025-01-01', period_to: '2026-12-02', id_type: '居民身份证', id_number: '1101**********0003', purpose: '升学材料', status: 'issued', number: 'ZY20261203KKZX', issued_at: '2026-12-03T01:00:00Z', total_hours: 9.5, issuer_org: '阳光社区第一党支部', created_at: '2026-12-02T01:00:00Z', actions: [] },
    extra
  );
}

describe('志愿服务记录证明', () => {
  test('request: the number checked before sending, spaces dropped; the list shows the issued one', async () => {
    fakeApp(MEMBER);
    certificatesService.listCertificates.mockResolvedValue({ items: [cert(), cert({ id: 'c2', status: 'requested', number: null, total_hours: null })], next_cursor: null });
    const page = createPage('pkg-record/pages/certificates/certificates');
    await page.onLoad({ form: '1' });
    expect(page.data.list.items.map((c) => c.canOpen)).toEqual([true, false]);
    expect(page.data.list.items[0].hoursText).toBe('9.5');
    expect(page.data.showForm).toBe(true);
    page.onDate(ev({ field: 'from' }, { value: '2026-07-01' }));
    page.onDate(ev({ field: 'to' }, { value: '2026-06-30' }));
    page.onInput(ev({ field: 'idNumber' }, { value: '12' }));
    await page.onSubmit();
    expect(certificatesService.requestCertificate).not.toHaveBeenCalled();
    expect(page.data.form.errors).toEqual({ from: '开始日期不能晚于结束日期', id_number: '证件号码应为 6 到 20 位字母或数字' });

    page.onDate(ev({ field: 'from' }, { value: '2025-01-01' }));
    page.onIdType(ev({}, { value: '3' }));
    page.onInput(ev({ field: 'idNumber' }, { value: 'E1234 5678' }));
    page.onInput(ev({ field: 'purpose' }, { value: '求职' }));
    certificatesService.requestCertificate.mockResolvedValue(cert({ status: 'requested' }));
    await page.onSubmit();
    expect(certificatesService.requestCertificate).toHaveBeenCalledWith({ from: '2025-01-01', to: '2026-06-30', id_type: '护照', id_number: 'E12345678', purpose: '求职' });
    expect(page.data.showForm).toBe(false);
  });

  test('the PDF: downloaded with the token and opened; a refusal is a Chinese toast, nothing opened', async () => {
    fakeApp(MEMBER);
    storage.setSession('tok-1', '2099-01-01T00:00:00Z');
    certificatesService.listCertificates.mockResolvedValue({ items: [cert()], next_cursor: null });
    const page = createPage('pkg-record/pages/certificates/certificates');
    await page.onLoad({});
    wx.downloadFile = jest.fn((o) => o.success({ statusCode: 200, tempFilePath: 'wxfile://tmp/c1.pdf' }));
    wx.openDocument = jest.fn((o) => o.success());
    await page.onOpen(ev({ id: 'c1' }));
    const dl = wx.downloadFile.mock.calls[0][0];
    expect(dl.url).toMatch(/\/api\/v1\/certificates\/c1\/pdf$/);
    expect(dl.header).toEqual({ Authorization: 'Bearer tok-1' });
    expect(wx.openDocument).toHaveBeenCalledWith(expect.objectContaining({ filePath: 'wxfile://tmp/c1.pdf', fileType: 'pdf' }));
    expect(page.data.openingId).toBe('');

    wx.openDocument.mockClear();
    wx.downloadFile = jest.fn((o) => o.success({ statusCode: 404 }));
    await page.onOpen(ev({ id: 'c1' }));
    expect(wx.openDocument).not.toHaveBeenCalled();
    expect(wx.showToast).toHaveBeenLastCalledWith(expect.objectContaining({ title: '内容不存在或已被删除' }));

    // an expired token: one silent re-login, then the same download with the new one
    auth.relogin.mockImplementation(() => {
      storage.setSession('tok-2', '2099-01-01T00:00:00Z');
      return Promise.resolve();
    });
    wx.downloadFile = jest.fn((o) => (wx.downloadFile.mock.calls.length === 1 ? o.success({ statusCode: 401 }) : o.success({ statusCode: 200, tempFilePath: 'wxfile://tmp/c2.pdf' })));
    await page.onOpen(ev({ id: 'c1' }));
    expect(auth.relogin).toHaveBeenCalledTimes(1);
    expect(wx.downloadFile.mock.calls.map((c) => c[0].header.Authorization)).toEqual(['Bearer tok-1', 'Bearer tok-2']);
    expect(wx.openDocument).toHaveBeenCalledWith(expect.objectContaining({ filePath: 'wxfile://tmp/c2.pdf' }));

    wx.downloadFile = jest.fn((o) => o.fail({ errMsg: 'downloadFile:fail' }));
    await page.onOpen(ev({ id: 'c1' }));
    expect(wx.showToast).toHaveBeenLastCalledWith(expect.objectContaining({ title: '网络不可用，请稍后重试' }));
  });
});

describe('荣誉榜', () => {
  const tree = {
    items: [
      { id: 'd1', name: '和平区', type: 'district', parent_id: null, children: [{ id: 's1', name: '幸福街道', type: 'street', parent_id: 'd1', children: [{ id: 'c1', name: '阳光社区', type: 'community', parent_id: 's1', children: [{ id: 'b1', name: '阳光社区第一党支部', type: 'branch', parent_id: 'c1' }] }] }] }
    ]
  };

  test('scopes from my organisation upwards, the community first; each roll with its people', async () => {
    fakeApp(MEMBER);
    orgsService.getOrgTree.mockResolvedValue(tree);
    recordsService.listHonours.mockResolvedValue({ items: [{ id: 'h1', org_name: '阳光社区第一党支部', month: '2026-11', title: '党员之星', members: [{ member_id: 'm1', name: '王建国', hours: 5 }] }] });
    const page = createPage('pkg-record/pages/honours/honours');
    await page.onLoad();
    expect(page.data.scopes.map((s) => s.text)).toEqual(['本社区', '本街道', '本区']);
    expect(recordsService.listHonours).toHaveBeenCalledWith('c1', 20);
    expect(page.data.items[0]).toMatchObject({ monthText: '2026年11月', star: true });
    expect(page.data.items[0].people[0]).toMatchObject({ name: '王建国', initial: '王', hoursText: '5' });
    await page.onScope(ev({ key: 's1' }));
    expect(recordsService.listHonours).toHaveBeenLastCalledWith('s1', 20);
    expect(page.data.scopeName).toBe('幸福街道');
  });

  test('a resident without an organisation sees the top of the tree', async () => {
    fakeApp({ id: 'u1', role: 'resident' });
    orgsService.getOrgTree.mockResolvedValue(tree);
    recordsService.listHonours.mockResolvedValue({ items: [] });
    const page = createPage('pkg-record/pages/honours/honours');
    await page.onLoad();
    expect(page.data.scopes).toEqual([{ key: 'd1', text: '和平区', name: '和平区' }]);
    expect(recordsService.listHonours).toHaveBeenCalledWith('d1', 20);
    expect(page.data.items).toEqual([]);
  });
});
