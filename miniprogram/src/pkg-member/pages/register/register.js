const registrationsService = require('../../../services/registrations');
const categoriesService = require('../../../services/categories');
const { ListController, emptyList } = require('../../../utils/list');
const { PARTY_STATUSES, formatDateTime, isMember, joinNames, parseISO } = require('../../../utils/format');
const { toast } = require('../../../utils/ui');
const careBehavior = require('../../../behaviors/care');

const MAX_SKILLS = 10;

function decorate(r) {
  return Object.assign({}, r, { createdText: formatDateTime(r.created_at), skillsText: joinNames(r.skills) });
}

function newest(items) {
  let best = null;
  items.forEach((r) => {
    const t = (parseISO(r.created_at) || new Date(0)).getTime();
    if (!best || t > best.t) best = { t, r };
  });
  return best ? best.r : null;
}

Page({
  behaviors: [careBehavior],
  data: {
    user: null,
    alreadyMember: false,
    hasPending: false,
    partyStatuses: PARTY_STATUSES,
    partyIndex: -1,
    org: null,
    name: '',
    phone: '',
    skillOptions: [],
    skills: [],
    skillChips: [],
    customSkill: '',
    errors: {},
    prefilledText: '',
    submitting: false,
    list: emptyList()
  },

  onLoad() {
    this.list = new ListController(this, 'list', (p) => registrationsService.listRegistrations({ offset: p.offset, limit: p.limit }), {
      map: decorate
    });
    this.load();
  },

  onPullDownRefresh() {
    return this.list.refresh().then(() => this.updatePending());
  },

  onReachBottom() {
    return this.list.loadMore();
  },

  async load() {
    try {
      const user = await getApp().ready();
      // the bound WeChat phone fills the phone field (still editable)
      this.setData({ user, alreadyMember: isMember(user), name: (user && user.name) || '', phone: (user && user.has_phone && user.phone) || '' });
    } catch (e) {
      // shown by request layer
    }
    await Promise.all([this.list.refresh().then(() => this.updatePending()), this.loadSkills()]);
  },

  updatePending() {
    const items = this.data.list.items;
    this.setData({ hasPending: items.some((r) => r.status === 'pending') });
    const last = newest(items);
    if (last && last.status === 'rejected' && !this.prefilled) this.prefill(last);
  },

  /** After a rejection the form starts from the earlier application (the reason is shown above it). */
  prefill(r) {
    this.prefilled = true;
    this.setData({ prefilledText: '重新填写报到信息（已带入上次的申请）' });
    const skills = (r.skills || []).slice();
    const options = this.data.skillOptions.concat(skills.filter((x) => this.data.skillOptions.indexOf(x) < 0));
    this.setData({
      org: r.org_id ? { id: r.org_id, name: r.org_name || '' } : this.data.org,
      name: r.name || this.data.name,
      partyIndex: PARTY_STATUSES.indexOf(r.party_status),
      phone: r.phone || this.data.phone
    });
    this.setSkills(options, skills);
  },

  async loadSkills() {
    try {
      const res = await categoriesService.listCategories();
      const seen = {};
      const skills = [];
      (res.items || []).forEach((c) => {
        (c.skills || []).forEach((s) => {
          if (!seen[s]) {
            seen[s] = true;
            skills.push(s);
          }
        });
      });
      const chosen = this.data.skills;
      this.setSkills(skills.concat(chosen.filter((x) => skills.indexOf(x) < 0)), chosen);
    } catch (e) {
      // custom skills still work
    }
  },

  setSkills(options, skills) {
    this.setData({
      skillOptions: options,
      skills,
      skillChips: options.map((name) => ({ name, active: skills.indexOf(name) >= 0 }))
    });
  },

  onChooseOrg() {
    wx.navigateTo({
      url: '/pages/org-select/org-select?types=branch&title=' + encodeURIComponent('选择报到支部'),
      events: {
        selected: (org) => this.setData({ org: { id: org.id, name: org.name }, 'errors.org_id': '' })
      }
    });
  },

  onInput(e) {
    const field = e.currentTarget.dataset.field;
    this.setData({ [field]: e.detail.value, ['errors.' + field]: '' });
  },

  onPartyChange(e) {
    this.setData({ partyIndex: Number(e.detail.value), 'errors.party_status': '' });
  },

  onToggleSkill(e) {
    const skill = e.currentTarget.dataset.skill;
    const skills = this.data.skills.slice();
    const i = skills.indexOf(skill);
    if (i >= 0) skills.splice(i, 1);
    else if (skills.length >= MAX_SKILLS) return toast('最多选择' + MAX_SKILLS + '项技能');
    else skills.push(skill);
    this.setSkills(this.data.skillOptions, skills);
    this.setData({ 'errors.skills': '' });
  },

  onAddSkill() {
    const s = this.data.customSkill.trim();
    if (!s) return;
    if (s.length > 20) return toast('技能名称不超过20字');
    const options = this.data.skillOptions.indexOf(s) >= 0 ? this.data.skillOptions : this.data.skillOptions.concat([s]);
    const skills = this.data.skills.indexOf(s) >= 0 || this.data.skills.length >= MAX_SKILLS ? this.data.skills : this.data.skills.concat([s]);
    this.setSkills(options, skills);
    this.setData({ customSkill: '' });
  },

  validate() {
    const d = this.data;
    const errors = {};
    if (!d.org) errors.org_id = '请选择报到的支部';
    if (!d.name.trim()) errors.name = '请填写真实姓名';
    else if (d.name.trim().length > 20) errors.name = '姓名不超过20字';
    if (d.partyIndex < 0) errors.party_status = '请选择政治面貌';
    if (d.phone.trim() && !/^1\d{10}$/.test(d.phone.trim())) errors.phone = '请填写正确的手机号';
    return errors;
  },

  async onSubmit() {
    if (this.data.submitting) return;
    const errors = this.validate();
    if (Object.keys(errors).length) {
      this.setData({ errors });
      toast(errors[Object.keys(errors)[0]]);
      return;
    }
    const d = this.data;
    const body = {
      org_id: d.org.id,
      name: d.name.trim(),
      party_status: PARTY_STATUSES[d.partyIndex],
      skills: d.skills.slice()
    };
    if (d.phone.trim()) body.phone = d.phone.trim();
    this.setData({ submitting: true, errors: {} });
    try {
      await registrationsService.createRegistration(body);
      this.setData({ submitting: false });
      toast('已提交，请等待支部审核', 'success');
      await this.list.refresh();
      this.updatePending();
    } catch (err) {
      this.setData({ submitting: false, errors: Object.assign({}, err.fields || {}) });
    }
  }
});
