const activitiesService = require('../../../services/activities');
const { toast } = require('../../../utils/ui');
const { toISO, formatDate } = require('../../../utils/format');
const careBehavior = require('../../../behaviors/care');

const KINDS = [
  { value: 'volunteer', name: '志愿服务活动' },
  { value: 'party_day', name: '主题党日' },
  { value: 'branch_assembly', name: '支部党员大会' },
  { value: 'committee_meeting', name: '支委会' },
  { value: 'group_meeting', name: '党小组会' },
  { value: 'party_lecture', name: '党课' }
];

/** 发布活动 at the organiser's own node: time, place (map), places, points. */
Page({
  behaviors: [careBehavior],
  data: {
    kinds: KINDS,
    kindIndex: 0,
    form: { title: '', date: '', start: '09:00', end: '11:00', address: '', capacity: '', points_value: '2', description: '' },
    location: null,
    errors: {},
    saving: false
  },

  onLoad() {
    const tomorrow = new Date(Date.now() + 24 * 3600 * 1000);
    this.setData({ 'form.date': formatDate(tomorrow) });
  },

  onInput(e) {
    this.setData({ ['form.' + e.currentTarget.dataset.field]: e.detail.value });
  },

  onKind(e) {
    this.setData({ kindIndex: Number(e.detail.value) || 0 });
  },

  onPlace() {
    wx.chooseLocation({
      success: (res) => {
        this.setData({
          'form.address': res.address || res.name || '',
          location: { type: 'Point', coordinates: [res.longitude, res.latitude] }
        });
      }
    });
  },

  body() {
    const f = this.data.form;
    const kind = KINDS[this.data.kindIndex].value;
    const user = (getApp().globalData || {}).user || {};
    const body = {
      org_id: user.org_id,
      kind,
      title: f.title.trim(),
      start_at: toISO(f.date, f.start),
      end_at: toISO(f.date, f.end),
      address: f.address,
      description: f.description,
      publish: true
    };
    if (this.data.location) body.location = this.data.location;
    if (f.capacity) body.capacity = Number(f.capacity);
    if (kind === 'volunteer') {
      body.points_mode = 'per_hour';
      body.points_value = Number(f.points_value) || 0;
    }
    return body;
  },

  validate(body) {
    const errors = {};
    if (body.title.length < 2) errors.title = '请填写活动名称';
    if (!body.start_at || !body.end_at) errors.end_at = '请选择时间';
    else if (body.end_at <= body.start_at) errors.end_at = '结束时间必须晚于开始时间';
    if (body.capacity !== undefined && !(body.capacity >= 1)) errors.capacity = '名额应为正整数';
    return errors;
  },

  async onSubmit() {
    if (this.data.saving) return;
    const body = this.body();
    const errors = this.validate(body);
    this.setData({ errors });
    if (Object.keys(errors).length) return;
    this.setData({ saving: true });
    try {
      const created = await activitiesService.createActivity(body);
      toast('已发布', 'success');
      wx.redirectTo({ url: '/pkg-activity/pages/detail/detail?id=' + created.id });
    } catch (err) {
      this.setData({ errors: err.fields || {}, saving: false });
    }
  }
});
