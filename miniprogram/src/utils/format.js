/**
 * Labels and date helpers shared by pages and components. The one table of order and registration
 * statuses (name + tag colour) and the status tabs each role sees are defined here and nowhere else.
 */

const ORDER_STATUS = {
  submitted: { text: '待派单', tone: 'warning' },
  dispatched: { text: '待接单', tone: 'info' },
  accepted: { text: '已接单', tone: 'info' },
  in_service: { text: '服务中', tone: 'primary' },
  completed: { text: '待确认', tone: 'warning' },
  closed: { text: '已完成', tone: 'success' },
  cancelled: { text: '已取消', tone: 'muted' },
  rejected: { text: '已驳回', tone: 'muted' }
};

const REGISTRATION_STATUS = {
  pending: { text: '待审核', tone: 'warning' },
  approved: { text: '已通过', tone: 'success' },
  rejected: { text: '未通过', tone: 'muted' }
};

/** The status tabs of each list, in the order a person works through them ('' = 全部). */
const ORDER_TABS = {
  mine: ['', 'submitted', 'dispatched', 'accepted', 'in_service', 'completed', 'closed'],
  // orders dispatched to a member by name wait in the task hall until one of them takes it
  assigned: ['accepted', 'in_service', 'completed', 'closed'],
  org: ['submitted', 'dispatched', 'accepted', 'in_service']
};
const REGISTRATION_TABS = ['pending', 'approved', 'rejected'];

/** 双报到, 组织关系转接 and 志愿服务记录证明 (pkg-record): status names as the server words them. */
const REPORT_STATUS = {
  pending: { text: '待确认', tone: 'warning' },
  confirmed: { text: '已报到', tone: 'success' },
  declined: { text: '未通过', tone: 'muted' },
  ended: { text: '已结束', tone: 'muted' }
};
const TRANSFER_STATUS = {
  pending_out: { text: '待转出审批', tone: 'warning' },
  pending_in: { text: '待接收', tone: 'info' },
  accepted: { text: '已完成', tone: 'success' },
  returned: { text: '已退回', tone: 'muted' },
  cancelled: { text: '已撤销', tone: 'muted' },
  expired: { text: '已过期', tone: 'muted' }
};
const CERTIFICATE_STATUS = {
  requested: { text: '待出具', tone: 'warning' },
  issued: { text: '有效', tone: 'success' },
  revoked: { text: '已撤销', tone: 'muted' },
  declined: { text: '未出具', tone: 'muted' }
};
const REPORT_TABS = ['pending', 'confirmed', 'ended'];
const TRANSFER_TABS = ['pending_out', 'pending_in', 'accepted', 'returned'];
const STATUS_TABLES = { order: ORDER_STATUS, registration: REGISTRATION_STATUS, report: REPORT_STATUS, transfer: TRANSFER_STATUS, certificate: CERTIFICATE_STATUS };

/** [{key, text}] for a list's tabs, named from the status table. */
function statusTabs(keys, table) {
  const t = table || ORDER_STATUS;
  return keys.map((key) => ({ key, text: key ? t[key].text : '全部' }));
}

function orderTabs(scope) {
  return statusTabs(ORDER_TABS[scope]);
}

function registrationTabs() {
  return statusTabs(REGISTRATION_TABS, REGISTRATION_STATUS);
}

/** Statuses in which an order still has a due time that matters. */
const OPEN_FOR_VOLUNTEER = ['dispatched', 'accepted', 'in_service'];

const ACTION_TEXT = {
  create: '提交需求',
  submit: '提交需求',
  dispatch: '组织派单',
  accept: '队员接单',
  decline: '队员退回',
  expire: '超时退回',
  escalate: '上报上级',
  start: '开始服务',
  complete: '完成服务',
  confirm: '群众确认',
  auto_confirm: '自动确认',
  close: '办结',
  cancel: '取消工单',
  reject: '驳回'
};

const PARTY_STATUSES = ['入党申请人', '积极分子', '发展对象', '预备党员', '正式党员'];

const ROLE_TEXT = {
  resident: '群众',
  member: '志愿队员',
  secretary: '支部书记',
  admin: '管理员',
  merchant: '商家'
};

function statusInfo(status, table) {
  const t = table || ORDER_STATUS;
  return t[status] || { text: status ? String(status) : '未知', tone: 'muted' };
}

function actionText(action) {
  return ACTION_TEXT[action] || (action ? String(action) : '');
}

function pad(n) {
  return n < 10 ? '0' + n : String(n);
}

/**
 * Parses ISO 8601 without relying on the JS engine (iOS JavaScriptCore rejects some forms,
 * e.g. microseconds). Returns a Date or null.
 */
function parseISO(s) {
  if (!s) return null;
  if (s instanceof Date) return isNaN(s.getTime()) ? null : s;
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(String(s).trim());
  if (!m) return null;
  const ms = m[7] ? Number((m[7] + '00').slice(0, 3)) : 0;
  const parts = [Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] || 0), Number(m[5] || 0), Number(m[6] || 0), ms];
  if (!m[8] && !m[4]) return new Date(parts[0], parts[1], parts[2]);
  if (!m[8]) return new Date(parts[0], parts[1], parts[2], parts[3], parts[4], parts[5], parts[6]);
  let utc = Date.UTC(parts[0], parts[1], parts[2], parts[3], parts[4], parts[5], parts[6]);
  if (m[8] !== 'Z') {
    const sign = m[8][0] === '-' ? -1 : 1;
    const digits = m[8].slice(1).replace(':', '');
    const offset = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4)));
    utc -= offset * 60 * 1000;
  }
  return new Date(utc);
}

function formatDateTime(s) {
  const d = parseISO(s);
  if (!d) return '';
  return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' + pad(d.getHours()) + ':' + pad(d.getMinutes());
}

function formatDate(d) {
  return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate());
}

function formatClock(d) {
  return pad(d.getHours()) + ':' + pad(d.getMinutes());
}

/** Local date 'YYYY-MM-DD' + time 'HH:mm' → ISO 8601 with the device's UTC offset. */
function toISO(dateStr, timeStr) {
  const dm = /^(\d{4})-(\d{2})-(\d{2})$/.exec(dateStr || '');
  const tm = /^(\d{2}):(\d{2})$/.exec(timeStr || '00:00');
  if (!dm || !tm) return '';
  const d = new Date(Number(dm[1]), Number(dm[2]) - 1, Number(dm[3]), Number(tm[1]), Number(tm[2]), 0);
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  const abs = Math.abs(off);
  return dateStr + 'T' + timeStr + ':00' + sign + pad(Math.floor(abs / 60)) + ':' + pad(abs % 60);
}

function formatPoints(n) {
  const v = Number(n || 0);
  return Math.round(v * 100) / 100;
}

function formatDelta(n) {
  const v = formatPoints(n);
  return v > 0 ? '+' + v : String(v);
}

/** A list of names the way the pages write it: 家电维修、电工 */
function joinNames(list) {
  return Array.isArray(list) ? list.filter(Boolean).join('、') : list ? String(list) : '';
}

/** A count for a badge: '' for none, '99+' above 99 or when there are more than were counted. */
function countText(n, more) {
  const v = Number(n) || 0;
  if (v <= 0) return '';
  return v > 99 || more ? (v > 99 ? '99+' : v + '+') : String(v);
}

function isManager(user) {
  return !!user && (user.role === 'secretary' || user.role === 'admin');
}

function isMember(user) {
  return !!user && user.role === 'member';
}

module.exports = {
  ORDER_STATUS,
  REGISTRATION_STATUS,
  REPORT_STATUS,
  TRANSFER_STATUS,
  CERTIFICATE_STATUS,
  REPORT_TABS,
  TRANSFER_TABS,
  STATUS_TABLES,
  ORDER_TABS,
  OPEN_FOR_VOLUNTEER,
  statusTabs,
  orderTabs,
  registrationTabs,
  joinNames,
  countText,
  PARTY_STATUSES,
  ROLE_TEXT,
  statusInfo,
  actionText,
  parseISO,
  formatDateTime,
  formatDate,
  formatClock,
  toISO,
  formatPoints,
  formatDelta,
  isManager,
  isMember
};
