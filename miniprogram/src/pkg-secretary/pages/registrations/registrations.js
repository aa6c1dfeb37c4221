const registrationsService = require('../../../services/registrations');
const listBehavior = require('../../../behaviors/list');
const { formatDateTime, registrationTabs, joinNames } = require('../../../utils/format');
const { confirm, prompt, toast } = require('../../../utils/ui');
const careBehavior = require('../../../behaviors/care');

const TABS = registrationTabs();

function decorate(r) {
  return Object.assign({}, r, { createdText: formatDateTime(r.created_at), skillsText: joinNames(r.skills) });
}

Page({
  behaviors: [listBehavior, careBehavior],

  data: {
    tabs: TABS,
    status: 'pending',
    actingId: ''
  },

  onLoad() {
    return this.initList((p) => registrationsService.listRegistrations({ status: this.data.status, offset: p.offset, limit: p.limit }), { map: decorate });
  },

  async onApprove(e) {
    const id = e.currentTarget.dataset.id;
    if (this.data.actingId) return;
    if (!(await confirm('通过报到', '通过后该同志将成为本支部志愿队员'))) return;
    this.setData({ actingId: id });
    try {
      await registrationsService.approveRegistration(id);
      this.list.removeItem(id);
      toast('已通过', 'success');
    } catch (err) {
      if (err.status === 409) this.list.refresh();
    }
    this.setData({ actingId: '' });
  },

  async onReject(e) {
    const id = e.currentTarget.dataset.id;
    if (this.data.actingId) return;
    const reason = await prompt('不予通过', '原因（将告知申请人）', true);
    if (!reason) return;
    this.setData({ actingId: id });
    try {
      await registrationsService.rejectRegistration(id, reason);
      this.list.removeItem(id);
      toast('已处理', 'success');
    } catch (err) {
      if (err.status === 409) this.list.refresh();
    }
    this.setData({ actingId: '' });
  }
});
