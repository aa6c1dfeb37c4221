const transfersService = require('../../../services/transfers');
const listBehavior = require('../../../behaviors/list');
const { TRANSFER_TABS, TRANSFER_STATUS, statusTabs, formatDateTime, isManager } = require('../../../utils/format');
const { confirm, prompt, toast, alert } = require('../../../utils/ui');
const { dayText } = require('../../utils');
const careBehavior = require('../../../behaviors/care');

const OPEN = ['pending_out', 'pending_in'];

function decorate(t) {
  const actions = t.actions || [];
  return Object.assign({}, t, {
    toText: t.to_org_name + (t.external ? '（平台外）' : ''),
    createdText: dayText(t.created_at),
    deadlineText: t.status === 'pending_in' ? dayText(t.deadline_at) : '',
    // newest first, as every timeline of the app
    events: (t.timeline || [])
      .map((e, i) => ({ key: i, title: e.action_name, time: formatDateTime(e.at), actor: e.actor_name || '', note: e.note || '' }))
      .reverse(),
    can: {
      approve: actions.indexOf('approve') >= 0,
      accept: actions.indexOf('accept') >= 0,
      ret: actions.indexOf('return') >= 0,
      cancel: actions.indexOf('cancel') >= 0
    }
  });
}

function emptyForm() {
  return { external: false, org: null, externalOrg: '', reason: '', errors: {} };
}

/**
 * 组织关系转接. A member: request a transfer (a branch on the platform, or an organisation outside
 * it), follow its state and timeline, cancel it. Secretaries: approve (the outgoing branch issues the
 * 介绍信), accept or return (the receiving branch).
 */
Page({
  behaviors: [listBehavior, careBehavior],

  data: { staff: false, tabs: statusTabs(TRANSFER_TABS, TRANSFER_STATUS), status: '', showForm: false, hasOpen: false, form: emptyForm(), submitting: false, actingId: '' },

  onLoad(query) {
    const staff = isManager((getApp().globalData || {}).user);
    this.setData({ staff, status: staff ? (query && query.status) || 'pending_out' : '' });
    const done = this.initList((p) => transfersService.listTransfers({ status: this.data.status, offset: p.offset, limit: p.limit }), { map: decorate, limit: 10 });
    return Promise.resolve(done).then(() => this.updateOpen(query && query.form));
  },

  onShow() {
    this.refreshOnReturn();
  },

  updateOpen(wantForm) {
    if (this.data.staff) return;
    const open = this.data.list.items.some((t) => OPEN.indexOf(t.status) >= 0);
    this.setData({ hasOpen: open, showForm: !open && (wantForm === undefined ? this.data.showForm : !!wantForm) });
  },

  onOpenForm() {
    this.setData({ showForm: true, form: emptyForm() });
  },

  onCloseForm() {
    this.setData({ showForm: false });
  },

  onTarget(e) {
    this.setData({ 'form.external': e.currentTarget.dataset.key === 'external', 'form.errors': {} });
  },

  onChooseBranch() {
    wx.navigateTo({
      url: '/pages/org-select/org-select?types=branch&title=' + encodeURIComponent('选择接收支部'),
      events: { selected: (org) => this.setData({ 'form.org': { id: org.id, name: org.name }, 'form.errors.to_org_id': '' }) }
    });
  },

  onInput(e) {
    this.setData({ ['form.' + e.currentTarget.dataset.field]: e.detail.value });
  },

  async onSubmit() {
    if (this.data.submitting) return;
    const f = this.data.form;
    const errors = {};
    const body = { reason: (f.reason || '').trim() };
    if (f.external) {
      if (!(f.externalOrg || '').trim()) errors.external_org = '请填写接收组织的名称';
      else body.external_org = f.externalOrg.trim();
    } else if (!f.org) errors.to_org_id = '请选择接收支部';
    else body.to_org_id = f.org.id;
    if (!body.reason) errors.reason = '请填写转接原因';
    this.setData({ 'form.errors': errors });
    if (Object.keys(errors).length) return;
    this.setData({ submitting: true });
    try {
      await transfersService.requestTransfer(body);
      toast('已提交，等待支部审批', 'success');
      this.setData({ submitting: false, showForm: false, hasOpen: true, form: emptyForm() });
      this.list.refresh();
    } catch (err) {
      this.setData({ submitting: false, 'form.errors': Object.assign({}, err.fields || {}) });
    }
  },

  async act(id, work, done) {
    if (this.data.actingId) return;
    this.setData({ actingId: id });
    try {
      const t = await work();
      if (t && t.id) {
        if (this.data.staff && t.status !== this.data.status) this.list.removeItem(id);
        else this.list.replaceItem(t);
      }
      toast(done, 'success');
    } catch (err) {
      // 409 with a list of open orders: the reason is long, show it in full
      if (err && err.status === 409 && err.message && err.message.length > 14) await alert('暂不能办理', err.message);
      if (err && (err.status === 409 || err.status === 404)) this.list.refresh();
    }
    this.setData({ actingId: '' });
    this.updateOpen();
  },

  async onApprove(e) {
    const id = e.currentTarget.dataset.id;
    if (!(await confirm('转出审批', '同意转出并开具介绍信，接收支部将收到待办'))) return;
    await this.act(id, () => transfersService.approveTransfer(id), '已开具介绍信');
  },

  async onAccept(e) {
    const id = e.currentTarget.dataset.id;
    if (!(await confirm('接收', '接收后该党员的组织关系立即转入本支部'))) return;
    await this.act(id, () => transfersService.acceptTransfer(id), '已接收');
  },

  async onReturn(e) {
    const id = e.currentTarget.dataset.id;
    const reason = await prompt('退回', '退回理由（将告知党员和转出支部）', true);
    if (!reason) return;
    await this.act(id, () => transfersService.returnTransfer(id, reason), '已退回');
  },

  async onCancel(e) {
    const id = e.currentTarget.dataset.id;
    if (!(await confirm('撤销转接', '撤销后如需转接须重新申请', '撤销'))) return;
    await this.act(id, () => transfersService.cancelTransfer(id), '已撤销');
  }
});
