const registrationsService = require('../../../services/registrations');
const { ListController, emptyList } = require('../../../utils/list');
const { formatDateTime } = require('../../../utils/format');
const { confirm, prompt, toast } = require('../../../utils/ui');

const TABS = [
  { key: 'pending', text: '待审核' },
  { key: 'approved', text: '已通过' },
  { key: 'rejected', text: '未通过' }
];

function decorate(r) {
  return Object.assign({}, r, { createdText: formatDateTime(r.created_at), skillsText: (r.skills || []).join('、') });
}

Page({
  data: {
    tabs: TABS,
    status: 'pending',
    list: emptyList(),
    actingId: ''
  },

  onLoad() {
    this.list = new ListController(
      this,
      'list',
      (p) => registrationsService.listRegistrations({ status: this.data.status, offset: p.offset, limit: p.limit }),
      { map: decorate }
    );
    return this.list.refresh();
  },

  onPullDownRefresh() {
    return this.list.refresh();
  },

  onReachBottom() {
    return this.list.loadMore();
  },

  onTab(e) {
    const status = e.currentTarget.dataset.key;
    if (status === this.data.status) return;
    this.setData({ status, list: emptyList() });
    return this.list.refresh();
  },

  onRetry() {
    return this.list.refresh();
  },

  onMore() {
    return this.list.loadMore();
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
