/**
 * Every page of app.json and its key states: each role, each order status, empty, loading error,
 * logged out. A screen = {name, title, role, page, query?, fail?, storage?, actions?}.
 * `query` may be a function of the role's recorded orders (to open an order in a given status).
 */
const ROLES = {
  resident: { openid: 'demo-resident-1', text: '群众 林阿姨' },
  resident2: { openid: 'demo-resident-2', text: '群众 郑大爷' },
  resident3: { openid: 'demo-resident-3', text: '群众 何女士' },
  resident4: { openid: 'demo-resident-4', text: '群众 马先生' },
  newcomer: { openid: 'preview-newcomer', text: '新用户（无数据）' },
  member: { openid: 'demo-member-1', text: '队员 王建国' },
  member3: { openid: 'demo-member-3', text: '队员 张伟' },
  member4: { openid: 'demo-member-4', text: '队员 刘芳' },
  secretary: { openid: 'demo-secretary-1', text: '支部书记' },
  admin: { openid: 'demo-street-admin', text: '街道党工委管理员' },
  // pkg-record (服务记录, 双报到, 转接, 证明, 荣誉榜): fixture files of their own
  'record-member': { openid: 'demo-member-1', text: '队员 王建国（阳光社区第一党支部）' },
  'unit-member': { openid: 'demo-unit-member-1', text: '双报到党员 王建国（税务局机关党支部）' },
  'unit-newcomer': { openid: 'demo-unit-member-3', text: '机关党员 周婉清（尚未报到）' },
  mover: { openid: 'demo-member-2', text: '队员 李秀英（转接中）' },
  'community-secretary': { openid: 'demo-community-secretary', text: '阳光社区党委书记' },
  'street-admin': { openid: 'demo-street-admin', text: '街道党工委管理员（转接审批）' }
};

const LOGGED_OUT = { tx_logged_out: true };
const ACTIVITY_OPEN = '6b10638cb7a57813384243cc';
const ACTIVITY_LIVE = '6b10638cb7a57813384243d2';

function tap(key) {
  return { currentTarget: { dataset: { key } }, target: { dataset: { key } }, detail: {} };
}

function byStatus(status) {
  return (orders) => {
    const o = orders.find((x) => x.status === status);
    if (!o) throw new Error('no recorded order in status ' + status);
    return { id: o.id };
  };
}

/** The first item of the role's recorded mall (积分商城). */
function firstReward(orders, fx) {
  const key = Object.keys(fx.responses).find((k) => k.startsWith('GET /api/v1/rewards?'));
  const items = key ? (fx.responses[key].body || {}).items || [] : [];
  if (!items.length) throw new Error('no recorded reward items');
  return { id: items[0].id };
}

/** The first item of the role's recorded list `GET /api/v1/<what>?…scope=mine` that passes `want`. */
function mine(what, want) {
  return (orders, fx) => {
    const keys = Object.keys(fx.responses).filter((k) => k.startsWith('GET /api/v1/' + what + '?') && /scope=mine/.test(k));
    const items = [].concat(...keys.map((k) => (fx.responses[k].body || {}).items || []));
    const hit = items.find(want);
    if (!hit) throw new Error('no recorded ' + what + ' of mine to open');
    return { id: hit.id };
  };
}

/** 阳光社区 in the role's recorded org tree: the 双报到 form opened for it. */
function sunshine(orders, fx) {
  const tree = ((fx.responses['GET /api/v1/orgs'] || {}).body || {}).items || [];
  const find = (nodes) => nodes.reduce((hit, n) => hit || (n.name === '阳光社区' ? n : find(n.children || [])), null);
  const node = find(tree);
  if (!node) throw new Error('no 阳光社区 in the recorded org tree');
  return { community: node.id, name: node.name };
}

const SCREENS = [
  // 群众
  { name: 'resident-index', title: '首页 · 群众', role: 'resident', page: 'pages/index/index' },
  { name: 'resident-orders', title: '我的工单 · 全部', role: 'resident', page: 'pages/orders/orders' },
  { name: 'resident-orders-closed', title: '我的工单 · 已完成', role: 'resident', page: 'pages/orders/orders', query: { status: 'closed' } },
  { name: 'resident-order-submitted', title: '工单详情 · 待派单（群众）', role: 'resident', page: 'pages/order-detail/order-detail', query: byStatus('submitted') },
  { name: 'resident-order-in_service', title: '工单详情 · 服务中（群众）', role: 'resident', page: 'pages/order-detail/order-detail', query: byStatus('in_service') },
  { name: 'resident-order-closed', title: '工单详情 · 已完成（群众）', role: 'resident', page: 'pages/order-detail/order-detail', query: byStatus('closed') },
  { name: 'resident2-orders', title: '我的工单 · 郑大爷', role: 'resident2', page: 'pages/orders/orders' },
  { name: 'resident2-order-completed', title: '工单详情 · 待确认（确认并评价）', role: 'resident2', page: 'pages/order-detail/order-detail', query: byStatus('completed') },
  { name: 'resident2-order-cancelled', title: '工单详情 · 已取消', role: 'resident2', page: 'pages/order-detail/order-detail', query: byStatus('cancelled') },
  { name: 'resident3-orders', title: '我的工单 · 何女士', role: 'resident3', page: 'pages/orders/orders' },
  { name: 'resident3-order-dispatched', title: '工单详情 · 待接单（群众）', role: 'resident3', page: 'pages/order-detail/order-detail', query: byStatus('dispatched') },
  { name: 'resident4-orders', title: '我的工单 · 马先生', role: 'resident4', page: 'pages/orders/orders' },
  { name: 'resident4-order-accepted', title: '工单详情 · 已接单（群众）', role: 'resident4', page: 'pages/order-detail/order-detail', query: byStatus('accepted') },
  { name: 'resident-order-create', title: '我要点单', role: 'resident', page: 'pages/order-create/order-create' },
  {
    name: 'resident-order-create-errors',
    title: '我要点单 · 未填写就提交',
    role: 'resident',
    page: 'pages/order-create/order-create',
    storage: { tx_last_order_org: '' },
    actions: (inst) => inst.onSubmit()
  },
  { name: 'resident-org-select', title: '选择服务社区', role: 'resident', page: 'pages/org-select/org-select', query: { types: 'community,branch', title: '选择服务社区' } },
  {
    name: 'resident-org-select-communities',
    title: '选择服务社区 · 逐级到街道',
    role: 'resident',
    page: 'pages/org-select/org-select',
    query: { types: 'community,branch', title: '选择服务社区' },
    actions: async (inst) => {
      const down = { currentTarget: { dataset: { index: 0 } }, detail: {} };
      await inst.onOpen(down);
      await inst.onOpen(down);
      await inst.onOpen(down);
    }
  },
  { name: 'resident-notifications', title: '消息通知 · 群众', role: 'resident', page: 'pages/notifications/index' },
  { name: 'resident-notifications-unread', title: '消息通知 · 未读', role: 'resident', page: 'pages/notifications/index', actions: (inst) => inst.onTab(tap('unread')) },
  { name: 'resident-profile', title: '我的 · 群众', role: 'resident', page: 'pages/profile/profile' },
  { name: 'resident-register-rejected', title: '队员报到 · 上次未通过（预填）', role: 'resident', page: 'pkg-member/pages/register/register' },
  { name: 'privacy', title: '用户隐私保护指引', role: 'resident', page: 'pages/privacy/privacy' },

  // 新用户：空状态
  { name: 'newcomer-index', title: '首页 · 新用户', role: 'newcomer', page: 'pages/index/index' },
  { name: 'newcomer-orders-empty', title: '我的工单 · 空', role: 'newcomer', page: 'pages/orders/orders' },
  { name: 'newcomer-notifications-empty', title: '消息通知 · 空', role: 'newcomer', page: 'pages/notifications/index' },
  { name: 'newcomer-profile', title: '我的 · 未绑定手机号', role: 'newcomer', page: 'pages/profile/profile' },
  { name: 'newcomer-register', title: '队员报到 · 新表单', role: 'newcomer', page: 'pkg-member/pages/register/register' },

  // 未登录 / 加载失败
  { name: 'loggedout-index', title: '首页 · 未登录', role: 'newcomer', page: 'pages/index/index', storage: LOGGED_OUT },
  { name: 'loggedout-profile', title: '我的 · 未登录', role: 'newcomer', page: 'pages/profile/profile', storage: LOGGED_OUT },
  { name: 'loggedout-notifications', title: '消息通知 · 未登录', role: 'newcomer', page: 'pages/notifications/index', storage: LOGGED_OUT },
  { name: 'error-index', title: '首页 · 加载失败', role: 'resident', page: 'pages/index/index', fail: ['GET /api/v1/service-categories', 'GET /api/v1/orders'] },
  { name: 'error-orders', title: '我的工单 · 加载失败', role: 'resident', page: 'pages/orders/orders', fail: ['GET /api/v1/orders'] },
  { name: 'error-order-detail', title: '工单详情 · 加载失败', role: 'resident', page: 'pages/order-detail/order-detail', query: byStatus('closed'), fail: ['GET /api/v1/orders/'] },
  { name: 'error-notifications', title: '消息通知 · 加载失败', role: 'resident', page: 'pages/notifications/index', fail: ['GET /api/v1/notifications?'] },
  { name: 'error-task-hall', title: '任务大厅 · 加载失败', role: 'member', page: 'pkg-member/pages/task-hall/task-hall', fail: ['GET /api/v1/task-hall'] },
  { name: 'error-points', title: '我的积分 · 加载失败', role: 'member', page: 'pkg-member/pages/points/points', fail: ['GET /api/v1/me/points', 'GET /api/v1/me/ledger'] },
  { name: 'error-dispatch', title: '派单台 · 加载失败', role: 'secretary', page: 'pkg-secretary/pages/dispatch/dispatch', fail: ['GET /api/v1/orders'] },

  // 队员
  { name: 'member-index', title: '首页 · 队员', role: 'member', page: 'pages/index/index' },
  { name: 'member-profile', title: '我的 · 队员', role: 'member', page: 'pages/profile/profile' },
  { name: 'member-my-tasks', title: '我的任务 · 打开时', role: 'member', page: 'pkg-member/pages/my-tasks/my-tasks' },
  { name: 'member-my-tasks-closed', title: '我的任务 · 已完成', role: 'member', page: 'pkg-member/pages/my-tasks/my-tasks', query: { status: 'closed' } },
  { name: 'member-task-hall', title: '任务大厅', role: 'member', page: 'pkg-member/pages/task-hall/task-hall' },
  { name: 'member-order-in_service', title: '工单详情 · 服务中（队员）', role: 'member', page: 'pages/order-detail/order-detail', query: byStatus('in_service') },
  { name: 'member-task-complete', title: '完成服务', role: 'member', page: 'pkg-member/pages/task-complete/task-complete', query: byStatus('in_service') },
  { name: 'member-points', title: '我的积分 · 明细', role: 'member', page: 'pkg-member/pages/points/points' },
  { name: 'member-points-board', title: '我的积分 · 党员之星', role: 'member', page: 'pkg-member/pages/points/points', actions: (inst) => inst.onView(tap('board')) },
  { name: 'member-notifications', title: '消息通知 · 队员', role: 'member', page: 'pages/notifications/index' },
  { name: 'member-register-already', title: '队员报到 · 已是队员', role: 'member', page: 'pkg-member/pages/register/register' },
  { name: 'member3-my-tasks', title: '我的任务 · 没有在办的', role: 'member3', page: 'pkg-member/pages/my-tasks/my-tasks' },
  { name: 'member3-task-hall', title: '任务大厅 · 点名派给我的', role: 'member3', page: 'pkg-member/pages/task-hall/task-hall' },
  { name: 'member3-order-dispatched', title: '工单详情 · 待接单（队员）', role: 'member3', page: 'pages/order-detail/order-detail', query: byStatus('dispatched') },
  { name: 'member4-my-tasks', title: '我的任务 · 已接单（待开始）', role: 'member4', page: 'pkg-member/pages/my-tasks/my-tasks' },
  { name: 'member4-order-accepted', title: '工单详情 · 已接单（队员）', role: 'member4', page: 'pages/order-detail/order-detail', query: byStatus('accepted') },

  // 支部书记
  { name: 'secretary-index', title: '首页 · 支部书记', role: 'secretary', page: 'pages/index/index' },
  { name: 'secretary-profile', title: '我的 · 支部书记', role: 'secretary', page: 'pages/profile/profile' },
  { name: 'secretary-dispatch', title: '派单台 · 待派单', role: 'secretary', page: 'pkg-secretary/pages/dispatch/dispatch' },
  { name: 'admin-dispatch-dispatched', title: '派单台（街道） · 待接单', role: 'admin', page: 'pkg-secretary/pages/dispatch/dispatch', actions: (inst) => inst.onTab(tap('dispatched')) },
  { name: 'admin-dispatch-accepted', title: '派单台（街道） · 已接单', role: 'admin', page: 'pkg-secretary/pages/dispatch/dispatch', actions: (inst) => inst.onTab(tap('accepted')) },
  { name: 'admin-dispatch-in_service', title: '派单台（街道） · 服务中', role: 'admin', page: 'pkg-secretary/pages/dispatch/dispatch', actions: (inst) => inst.onTab(tap('in_service')) },
  { name: 'secretary-dispatch-detail', title: '派单（推荐队员）', role: 'secretary', page: 'pkg-secretary/pages/dispatch-detail/dispatch-detail', query: byStatus('submitted') },
  {
    name: 'secretary-dispatch-detail-selected',
    title: '派单 · 已选 1 人',
    role: 'secretary',
    page: 'pkg-secretary/pages/dispatch-detail/dispatch-detail',
    query: byStatus('submitted'),
    actions: (inst) => inst.onToggle({ currentTarget: { dataset: { index: 0 } }, detail: {} })
  },
  {
    name: 'secretary-dispatch-detail-hall',
    title: '派单 · 发布到任务大厅',
    role: 'secretary',
    page: 'pkg-secretary/pages/dispatch-detail/dispatch-detail',
    query: byStatus('submitted'),
    actions: (inst) => inst.onMode(tap('hall'))
  },
  { name: 'secretary-order-submitted', title: '工单详情 · 待派单（书记）', role: 'secretary', page: 'pages/order-detail/order-detail', query: byStatus('submitted') },
  { name: 'admin-order-accepted', title: '工单详情 · 已接单（街道管理员）', role: 'admin', page: 'pages/order-detail/order-detail', query: byStatus('accepted') },
  { name: 'admin-order-in_service', title: '工单详情 · 服务中（街道管理员）', role: 'admin', page: 'pages/order-detail/order-detail', query: byStatus('in_service') },
  { name: 'secretary-registrations', title: '队员报到审核 · 待审核', role: 'secretary', page: 'pkg-secretary/pages/registrations/registrations' },
  {
    name: 'secretary-registrations-rejected',
    title: '队员报到审核 · 未通过',
    role: 'secretary',
    page: 'pkg-secretary/pages/registrations/registrations',
    actions: (inst) => inst.onTab(tap('rejected'))
  },
  { name: 'secretary-notifications', title: '消息通知 · 支部书记', role: 'secretary', page: 'pages/notifications/index' },

  // 志愿活动（pkg-activity; ids are the demo's, recorded into member.json / secretary.json）
  { name: 'member-activities', title: '志愿活动 · 我的组织', role: 'member', page: 'pkg-activity/pages/list/list' },
  { name: 'member-activity-open', title: '活动详情 · 报名中（已报名）', role: 'member', page: 'pkg-activity/pages/detail/detail', query: { id: ACTIVITY_OPEN } },
  { name: 'member-activities-mine', title: '我的活动 · 即将参加', role: 'member', page: 'pkg-activity/pages/mine/mine' },
  { name: 'member-activity-scan', title: '扫码签到', role: 'member', page: 'pkg-activity/pages/scan/scan' },
  { name: 'secretary-activity-create', title: '发布活动', role: 'secretary', page: 'pkg-activity/pages/create/create' },
  { name: 'secretary-activity-live', title: '活动详情 · 进行中（组织方）', role: 'secretary', page: 'pkg-activity/pages/detail/detail', query: { id: ACTIVITY_LIVE } },
  { name: 'secretary-activity-qr', title: '签到码', role: 'secretary', page: 'pkg-activity/pages/qr/qr', query: { id: ACTIVITY_LIVE } },
  { name: 'secretary-activity-attendance', title: '考勤与结算', role: 'secretary', page: 'pkg-activity/pages/attendance/attendance', query: { id: ACTIVITY_LIVE } },
  // 积分商城
  { name: 'member-mall', title: '积分商城', role: 'member', page: 'pkg-reward/pages/mall/mall' },
  { name: 'member-reward-item', title: '积分商城 · 商品详情', role: 'member', page: 'pkg-reward/pages/item/item', query: firstReward },
  { name: 'member-redemptions', title: '我的兑换（兑换码）', role: 'member', page: 'pkg-reward/pages/redemptions/redemptions' },
  { name: 'secretary-pickup', title: '兑换核销', role: 'secretary', page: 'pkg-reward/pages/pickup/pickup' },
  // 微心愿 and 民意
  { name: 'resident-wish-wall', title: '微心愿 · 心愿墙', role: 'resident', page: 'pkg-wish/pages/wall/wall' },
  { name: 'member-wish-wall', title: '微心愿 · 心愿墙（队员可认领）', role: 'member', page: 'pkg-wish/pages/wall/wall' },
  { name: 'resident-wish-post', title: '发布微心愿', role: 'resident', page: 'pkg-wish/pages/post/post' },
  { name: 'resident-wish-mine', title: '微心愿 · 我的心愿', role: 'resident', page: 'pkg-wish/pages/wall/wall', query: { scope: 'mine' } },
  { name: 'resident-wish-detail', title: '心愿详情 · 已实现（照片、致谢）', role: 'resident', page: 'pkg-wish/pages/detail/detail', query: mine('wishes', (w) => w.photos && w.photos.length && w.thanks) },
  { name: 'resident-voice-submit', title: '我要建言', role: 'resident', page: 'pkg-voice/pages/submit/submit' },
  { name: 'resident-voice-mine', title: '我的建言', role: 'resident', page: 'pkg-voice/pages/mine/mine' },
  { name: 'resident-voice-detail', title: '建言详情 · 已答复（照片）', role: 'resident', page: 'pkg-voice/pages/detail/detail', query: mine('voices', (v) => v.replies && v.replies.length && v.photos && v.photos.length) },
  { name: 'secretary-voice-inbox', title: '民意待办', role: 'secretary', page: 'pkg-voice/pages/inbox/inbox' },
  // 服务记录, 双报到, 组织关系转接, 志愿服务记录证明, 荣誉榜 (pkg-record)
  { name: 'member-record', title: '我的服务记录 · 近一年', role: 'record-member', page: 'pkg-record/pages/record/record' },
  { name: 'unit-member-record', title: '我的服务记录 · 双报到党员', role: 'unit-member', page: 'pkg-record/pages/record/record' },
  { name: 'error-record', title: '我的服务记录 · 加载失败', role: 'record-member', page: 'pkg-record/pages/record/record', fail: ['GET /api/v1/me/record'] },
  { name: 'member-honours', title: '荣誉榜 · 服务标兵与党员之星', role: 'record-member', page: 'pkg-record/pages/honours/honours' },
  { name: 'unit-member-reports', title: '双报到 · 已报到', role: 'unit-member', page: 'pkg-record/pages/reports/reports' },
  // first: it records the org tree that the 双报到 form looks 阳光社区 up in
  { name: 'unit-newcomer-honours', title: '荣誉榜 · 机关党员（本区）', role: 'unit-newcomer', page: 'pkg-record/pages/honours/honours' },
  { name: 'unit-newcomer-report-form', title: '双报到 · 向社区报到（选择岗位）', role: 'unit-newcomer', page: 'pkg-record/pages/reports/reports', query: sunshine, actions: (inst) => inst.onTogglePost({ currentTarget: { dataset: { index: 0 } }, detail: {} }) },
  { name: 'community-secretary-reports', title: '双报到确认 · 待确认', role: 'community-secretary', page: 'pkg-record/pages/reports/reports' },
  { name: 'mover-transfers', title: '组织关系转接 · 待接收（进度）', role: 'mover', page: 'pkg-record/pages/transfers/transfers' },
  { name: 'member-transfer-form', title: '申请组织关系转接', role: 'record-member', page: 'pkg-record/pages/transfers/transfers', query: { form: '1' } },
  { name: 'admin-transfers-out', title: '转接审批 · 待转出审批', role: 'street-admin', page: 'pkg-record/pages/transfers/transfers' },
  { name: 'admin-transfers-in', title: '转接审批 · 待接收', role: 'street-admin', page: 'pkg-record/pages/transfers/transfers', query: { status: 'pending_in' } },
  { name: 'member-certificates', title: '志愿服务记录证明 · 已出具', role: 'record-member', page: 'pkg-record/pages/certificates/certificates' },
  { name: 'member-certificate-form', title: '申请志愿服务记录证明', role: 'record-member', page: 'pkg-record/pages/certificates/certificates', query: { form: '1' } }
];

// 关怀模式: every page a resident uses again with care mode on (text ×1.3, muted text dark), named <screen>-care
const CARE = [
  'resident-index', 'resident-orders', 'resident-order-submitted', 'resident-order-closed', 'resident2-order-completed',
  'resident-order-create', 'resident-org-select', 'resident-notifications', 'resident-profile', 'resident-register-rejected',
  'privacy', 'resident-wish-wall', 'resident-wish-post', 'resident-wish-detail', 'resident-voice-submit', 'resident-voice-mine',
  'resident-voice-detail'
];
// …and once more at the phone's largest font setting: every text ×FONT_MAX on top of care mode
// (a text-only zoom like the Android WebView's textZoom; see index.js zoomText and README), named <screen>-care-max
const FONT_MAX = Number(process.env.PREVIEW_FONT_MAX) || 1.4;
CARE.forEach((name) => {
  const base = SCREENS.find((s) => s.name === name);
  if (!base) throw new Error('no screen ' + name);
  SCREENS.push(Object.assign({}, base, { name: name + '-care', title: base.title + ' · 关怀模式', care: true }));
});
CARE.forEach((name) => {
  const base = SCREENS.find((s) => s.name === name);
  SCREENS.push(Object.assign({}, base, { name: name + '-care-max', title: base.title + ' · 关怀模式 · 最大字体', care: true, fontScale: FONT_MAX }));
});

module.exports = { SCREENS, ROLES, tap, CARE, FONT_MAX };
