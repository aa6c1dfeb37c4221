const ordersService = require('../../../services/orders');
const { toISO, formatDate, formatClock, joinNames } = require('../../../utils/format');
const { confirm, prompt, toast } = require('../../../utils/ui');
const careBehavior = require('../../../behaviors/care');

const DEFAULT_DUE_HOURS = 24;

/** The recommender's reasons as a person would say them (「0 天前」 is 「今天」). */
function reasonText(s) {
  return String(s || '')
    .replace(/在\s*0\s*天前/, '是今天')
    .replace(/(^|\D)0\s*天前/, '$1今天');
}

function defaultDue(hours) {
  const d = new Date(Date.now() + (hours || DEFAULT_DUE_HOURS) * 3600 * 1000);
  d.setMinutes(d.getMinutes() < 30 ? 30 : 60, 0, 0);
  return { date: formatDate(d), time: formatClock(d) };
}

Page({
  behaviors: [careBehavior],
  data: {
    id: '',
    order: null,
    loading: true,
    error: '',
    canDispatch: false,
    canReject: false,
    recs: [],
    recsLoading: true,
    mode: 'volunteers', // volunteers | hall
    selectedCount: 0,
    dueDate: '',
    dueTime: '',
    today: '',
    note: '',
    submitting: false
  },

  onLoad(query) {
    const due = defaultDue(DEFAULT_DUE_HOURS);
    this.setData({ id: (query && query.id) || '', dueDate: due.date, dueTime: due.time, today: formatDate(new Date()) });
    return this.load();
  },

  async load() {
    this.setData({ loading: true, error: '' });
    try {
      const order = await ordersService.getOrder(this.data.id);
      const actions = order.actions || [];
      this.setData({
        order,
        loading: false,
        canDispatch: actions.indexOf('dispatch') >= 0,
        canReject: actions.indexOf('reject') >= 0
      });
      if (actions.indexOf('dispatch') >= 0) await this.loadRecs();
      else this.setData({ recsLoading: false });
    } catch (e) {
      this.setData({ loading: false, error: e.message });
    }
  },

  async loadRecs() {
    this.setData({ recsLoading: true });
    try {
      const res = await ordersService.getRecommendations(this.data.id);
      const recs = (res.items || []).map((r) => ({
        id: r.member.id,
        name: r.member.name,
        orgName: r.member.org_name || '',
        skills: joinNames(r.member.skills),
        scoreText: Math.round(Math.max(0, Math.min(1, Number(r.score) || 0)) * 100) + '%',
        reasons: (r.reasons || []).map(reasonText),
        selected: false
      }));
      this.setData({ recs, recsLoading: false, selectedCount: 0, mode: recs.length ? this.data.mode : 'hall' });
    } catch (e) {
      this.setData({ recs: [], recsLoading: false });
    }
  },

  onMode(e) {
    this.setData({ mode: e.currentTarget.dataset.key });
  },

  onToggle(e) {
    const idx = Number(e.currentTarget.dataset.index);
    const recs = this.data.recs.map((r, i) => (i === idx ? Object.assign({}, r, { selected: !r.selected }) : r));
    this.setData({ recs, selectedCount: recs.filter((r) => r.selected).length });
  },

  onDueDate(e) {
    this.setData({ dueDate: e.detail.value });
  },

  onDueTime(e) {
    this.setData({ dueTime: e.detail.value });
  },

  onNote(e) {
    this.setData({ note: e.detail.value });
  },

  async onDispatch() {
    if (this.data.submitting) return;
    const d = this.data;
    const dueAt = toISO(d.dueDate, d.dueTime);
    if (!dueAt || Date.parse(dueAt) <= Date.now()) {
      toast('完成时限需晚于现在');
      return;
    }
    const body = { due_at: dueAt };
    if (d.mode === 'hall') {
      body.to_hall = true;
    } else {
      const ids = d.recs.filter((r) => r.selected).map((r) => r.id);
      if (!ids.length) {
        toast('请至少选择一名队员，或发布到任务大厅');
        return;
      }
      body.volunteer_ids = ids;
    }
    if (d.note.trim()) body.note = d.note.trim();
    const who = d.mode === 'hall' ? '发布到任务大厅' : '派给 ' + d.selectedCount + ' 名队员';
    if (!(await confirm('确认派单', '将此需求' + who + '？'))) return;
    this.setData({ submitting: true });
    try {
      await ordersService.dispatchOrder(d.id, body);
      this.setData({ submitting: false });
      toast('派单成功', 'success');
      wx.navigateBack();
    } catch (err) {
      this.setData({ submitting: false });
      if (err.status === 409) this.load();
    }
  },

  async onReject() {
    if (this.data.submitting) return;
    const reason = await prompt('驳回需求', '驳回原因（将告知群众）', true);
    if (!reason) return;
    this.setData({ submitting: true });
    try {
      await ordersService.rejectOrder(this.data.id, reason);
      this.setData({ submitting: false });
      toast('已驳回', 'success');
      wx.navigateBack();
    } catch (err) {
      this.setData({ submitting: false });
      if (err.status === 409) this.load();
    }
  },

  onOpenDetail() {
    wx.navigateTo({ url: '/pages/order-detail/order-detail?id=' + encodeURIComponent(this.data.id) });
  }
});
