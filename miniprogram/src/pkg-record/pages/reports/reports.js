const reportsService = require('../../../services/reports');
const listBehavior = require('../../../behaviors/list');
const { REPORT_TABS, REPORT_STATUS, statusTabs, joinNames, isManager } = require('../../../utils/format');
const { confirm, prompt, toast } = require('../../../utils/ui');
const { dayText } = require('../../utils');
const careBehavior = require('../../../behaviors/care');

const OPEN = ['pending', 'confirmed'];
const MAX_POSTS = 5;

function decorate(r) {
  return Object.assign({}, r, {
    postsText: joinNames(r.post_names),
    createdText: dayText(r.created_at),
    confirmedText: dayText(r.confirmed_at),
    endedText: dayText(r.ended_at),
    can: {
      confirm: (r.actions || []).indexOf('confirm') >= 0,
      decline: (r.actions || []).indexOf('decline') >= 0,
      end: (r.actions || []).indexOf('end') >= 0
    }
  });
}

function emptyForm() {
  return { community: null, posts: [], postsLoading: false, note: '', errors: {} };
}

/**
 * 双报到. A member: my reports and their state, end one (moving house), report to a community of
 * residence (community, its service posts, a note; `?community=<id>&name=` opens the form for one).
 * Community staff: confirm or decline what waits.
 */
Page({
  behaviors: [listBehavior, careBehavior],

  data: { staff: false, tabs: statusTabs(REPORT_TABS, REPORT_STATUS), status: '', showForm: false, hasOpen: false, form: emptyForm(), submitting: false, actingId: '' },

  onLoad(query) {
    const user = (getApp().globalData || {}).user;
    const staff = isManager(user);
    this.setData({ staff, status: staff ? 'pending' : '' });
    const done = this.initList((p) => reportsService.listReports({ status: this.data.status, offset: p.offset, limit: p.limit }), { map: decorate });
    const q = query || {};
    return Promise.resolve(done).then(() => {
      const open = !staff && this.data.list.items.some((r) => OPEN.indexOf(r.status) >= 0);
      this.setData({ hasOpen: open, showForm: !staff && !open && !!(q.form || q.community) });
      // opened for one community (a link or code of that community): it is chosen already
      if (this.data.showForm && q.community) return this.useCommunity({ id: q.community, name: decodeURIComponent(q.name || '') || '社区' });
      return undefined;
    });
  },

  onShow() {
    this.refreshOnReturn();
  },

  onOpenForm() {
    this.setData({ showForm: true, form: emptyForm() });
  },

  onCloseForm() {
    this.setData({ showForm: false });
  },

  onChooseCommunity() {
    wx.navigateTo({
      url: '/pages/org-select/org-select?types=community&title=' + encodeURIComponent('选择居住地社区'),
      events: { selected: (org) => this.useCommunity({ id: org.id, name: org.name }) }
    });
  },

  async useCommunity(community) {
    this.setData({ 'form.community': community, 'form.posts': [], 'form.postsLoading': true, 'form.errors.community_id': '' });
    try {
      const res = (await reportsService.listPosts(community.id)) || {};
      const posts = (res.items || []).filter((p) => p.active !== false).map((p) => ({ id: p.id, name: p.name, description: p.description || '', on: false }));
      this.setData({ 'form.posts': posts, 'form.postsLoading': false });
    } catch (e) {
      this.setData({ 'form.postsLoading': false });
    }
  },

  onTogglePost(e) {
    const i = Number(e.currentTarget.dataset.index);
    const posts = this.data.form.posts.slice();
    const chosen = posts.filter((p) => p.on).length;
    if (!posts[i]) return;
    if (!posts[i].on && chosen >= MAX_POSTS) {
      toast('最多选择 ' + MAX_POSTS + ' 个岗位');
      return;
    }
    posts[i] = Object.assign({}, posts[i], { on: !posts[i].on });
    this.setData({ 'form.posts': posts, 'form.errors.post_ids': '' });
  },

  onNote(e) {
    this.setData({ 'form.note': e.detail.value });
  },

  async onSubmit() {
    if (this.data.submitting) return;
    const f = this.data.form;
    const errors = {};
    if (!f.community) errors.community_id = '请选择居住地社区';
    const postIds = f.posts.filter((p) => p.on).map((p) => p.id);
    if (f.community && !postIds.length) errors.post_ids = '请至少选择一个服务岗位';
    this.setData({ 'form.errors': errors });
    if (Object.keys(errors).length) return;
    this.setData({ submitting: true });
    try {
      await reportsService.createReport({ community_id: f.community.id, post_ids: postIds, note: (f.note || '').trim() });
      toast('已提交，等待社区确认', 'success');
      this.setData({ submitting: false, showForm: false, hasOpen: true, form: emptyForm() });
      this.list.refresh();
    } catch (err) {
      // the request layer has shown why (e.g. 双报到适用于机关、企事业单位党支部的党员)
      this.setData({ submitting: false, 'form.errors': Object.assign({}, err.fields || {}) });
    }
  },

  async act(id, work, done) {
    if (this.data.actingId) return;
    this.setData({ actingId: id });
    try {
      const report = await work();
      if (report && report.id) this.list.replaceItem(report);
      if (this.data.staff && report && report.status !== this.data.status) this.list.removeItem(id);
      toast(done, 'success');
    } catch (err) {
      if (err && (err.status === 409 || err.status === 404)) this.list.refresh();
    }
    this.setData({ actingId: '' });
    if (!this.data.staff) this.setData({ hasOpen: this.data.list.items.some((r) => OPEN.indexOf(r.status) >= 0) });
  },

  async onConfirm(e) {
    const id = e.currentTarget.dataset.id;
    if (!(await confirm('确认报到', '确认后该党员加入本社区志愿者队伍，可承接社区的工单和活动'))) return;
    await this.act(id, () => reportsService.confirmReport(id), '已确认');
  },

  async onDecline(e) {
    const id = e.currentTarget.dataset.id;
    const reason = await prompt('退回报到', '理由（将告知党员）', true);
    if (!reason) return;
    await this.act(id, () => reportsService.declineReport(id, reason), '已退回');
  },

  async onEnd(e) {
    const id = e.currentTarget.dataset.id;
    const reason = await prompt('结束报到', '原因（选填，如搬家）', false);
    if (reason === null) return;
    await this.act(id, () => reportsService.endReport(id, reason), '已结束');
  }
});
