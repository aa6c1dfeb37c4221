const recordsService = require('../../../services/records');
const { REPORT_STATUS, statusInfo, formatDate, joinNames, parseISO } = require('../../../utils/format');
const { SECTION_NAMES, dayText, monthText, numberText } = require('../../utils');
const careBehavior = require('../../../behaviors/care');

/** Periods of the filter: months back from today ('' = the server's default, the last 12 months). */
const PERIODS = [
  { key: 'year', text: '近一年', months: 0 },
  { key: 'quarter', text: '近三个月', months: 3 },
  { key: 'thisyear', text: '今年' },
  { key: 'three', text: '近三年', months: 36 }
];

function periodQuery(key, today) {
  const p = PERIODS.find((x) => x.key === key) || PERIODS[0];
  if (p.key === 'thisyear') return { from: today.getFullYear() + '-01-01', to: formatDate(today) };
  if (!p.months) return {};
  const from = new Date(today.getFullYear(), today.getMonth() - p.months, today.getDate() + 1);
  return { from: formatDate(from), to: formatDate(today) };
}

function stars(n) {
  const v = Math.max(0, Math.min(5, Number(n) || 0));
  return '★★★★★'.slice(0, v) + '☆☆☆☆☆'.slice(0, 5 - v);
}

/** The answer of GET /me/record made ready for the page. */
function present(rec) {
  const totals = rec.totals || {};
  const months = (rec.months || []).slice().reverse();
  const maxHours = Math.max(1, ...months.map((m) => Number(m.hours) || 0));
  const extra = Object.keys(SECTION_NAMES)
    .filter((k) => totals[k] !== undefined)
    .map((k) => ({ key: k, name: SECTION_NAMES[k], count: totals[k] }));
  const sections = Object.keys(rec.sections || {})
    .filter((k) => SECTION_NAMES[k] && (rec.sections[k] || []).length)
    .map((k) => ({
      key: k,
      name: SECTION_NAMES[k],
      items: rec.sections[k].slice(0, 20).map((it, i) => ({
        key: k + i,
        title: it.title || it.name || it.category || SECTION_NAMES[k],
        day: dayText(it.at || it.date || it.ended_at || it.closed_at || it.created_at),
        hoursText: it.hours ? numberText(it.hours) + ' 小时' : ''
      }))
    }));
  const member = rec.member || {};
  const period = rec.period || {};
  return {
    member,
    periodText: periodText(period),
    stats: [
      { key: 'hours', num: numberText(totals.hours), label: '时长(小时)' },
      { key: 'points', num: numberText(totals.points_earned), label: '获得积分' },
      { key: 'orders', num: String(totals.orders || 0), label: '服务工单' },
      { key: 'rating', num: totals.rating_avg ? numberText(totals.rating_avg) : '—', label: totals.rating_count ? totals.rating_count + ' 次评价均分' : '群众评分' }
    ],
    extra,
    sections,
    months: months.map((m) => ({
      month: m.month,
      text: monthText(m.month),
      hoursText: numberText(m.hours),
      pointsText: numberText(m.points),
      width: Math.max(4, Math.round(((Number(m.hours) || 0) / maxHours) * 100))
    })),
    orders: (rec.orders || []).map((o) => ({
      id: o.id,
      title: o.category_name || '志愿服务',
      org: o.org_name || '',
      day: dayText(o.closed_at),
      hoursText: numberText(o.hours),
      pointsText: numberText(o.points),
      rated: !!o.rating,
      stars: stars(o.rating)
    })),
    community: (rec.community_service || []).map((c, i) => ({
      key: c.community_id + i,
      name: c.community_name || '社区',
      posts: joinNames(c.posts),
      statusText: statusInfo(c.status, REPORT_STATUS).text,
      since: dayText(c.confirmed_at),
      until: dayText(c.ended_at),
      orders: c.orders || 0,
      hoursText: numberText(c.hours)
    })),
    honours: (rec.honours || []).map((h, i) => ({ key: h.month + i, title: h.title, month: monthText(h.month), org: h.org_name || '' })),
    empty: !(rec.orders || []).length && !(rec.months || []).length && !(rec.community_service || []).length && !(rec.honours || []).length
  };
}

/** The period as days: its end is the start of the day after the last one. */
function periodText(period) {
  const end = parseISO(period.to);
  const last = end ? formatDate(new Date(end.getTime() - 1)) : '';
  return dayText(period.from) && last ? dayText(period.from) + ' 至 ' + last : '';
}

/** 我的服务记录: hours, points and orders over a period, by month, with 双报到 service and honours. */
Page({
  behaviors: [careBehavior],

  data: { periods: PERIODS, period: 'year', loading: true, error: '', record: null },

  onLoad() {
    return this.load();
  },

  onPullDownRefresh() {
    return this.load().then(() => wx.stopPullDownRefresh());
  },

  async load() {
    const seq = (this.seq = (this.seq || 0) + 1);
    this.setData({ loading: true, error: '' });
    try {
      const rec = await recordsService.getMyRecord(periodQuery(this.data.period, new Date()));
      if (seq !== this.seq) return;
      this.setData({ loading: false, record: present(rec || {}) });
    } catch (e) {
      if (seq !== this.seq) return;
      this.setData({ loading: false, error: (e && e.message) || '加载失败' });
    }
  },

  onPeriod(e) {
    const period = e.currentTarget.dataset.key;
    if (period === this.data.period) return undefined;
    this.setData({ period });
    return this.load();
  },

  onRetry() {
    return this.load();
  },

  onOpenOrder(e) {
    wx.navigateTo({ url: '/pages/order-detail/order-detail?id=' + encodeURIComponent(e.currentTarget.dataset.id) });
  },

  onCertificate() {
    wx.navigateTo({ url: '/pkg-record/pages/certificates/certificates' });
  }
});

module.exports = { periodQuery, present };
