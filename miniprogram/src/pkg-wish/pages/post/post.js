const wishesService = require('../../../services/wishes');
const { toast } = require('../../../utils/ui');
const careBehavior = require('../../../behaviors/care');

const CATEGORIES = ['学习用品', '生活物资', '助老助残', '陪伴关爱', '医疗健康', '其他'];

/** Post a wish: category, title, description, estimated value, photos (media ids), community. */
Page({
  behaviors: [careBehavior],
  data: {
    categories: CATEGORIES,
    categoryIndex: -1,
    org: null,
    form: { title: '', description: '', value: '' },
    photos: [],
    photosBusy: false,
    errors: {},
    submitting: false
  },

  /** photo-uploader: the media ids uploaded so far, and whether one is still uploading */
  onPhotosChange(e) {
    this.setData({ photos: e.detail.ids, photosBusy: e.detail.busy, 'errors.photos': '' });
  },

  onCategoryChange(e) {
    this.setData({ categoryIndex: Number(e.detail.value), 'errors.category': '' });
  },

  onInput(e) {
    const field = e.currentTarget.dataset.field;
    this.setData({ ['form.' + field]: e.detail.value, ['errors.' + field]: '' });
  },

  onChooseOrg() {
    wx.navigateTo({
      url: '/pages/org-select/org-select?types=community,branch&title=' + encodeURIComponent('选择所在社区'),
      events: {
        selected: (org) => this.setData({ org: { id: org.id, name: org.name }, 'errors.org_id': '' })
      }
    });
  },

  validate() {
    const f = this.data.form;
    const errors = {};
    if (this.data.categoryIndex < 0) errors.category = '请选择心愿类别';
    if (!f.title.trim()) errors.title = '请填写心愿';
    if (!f.description.trim()) errors.description = '请说明心愿的情况';
    const value = Number(f.value);
    if (f.value === '' || !(value >= 0)) errors.value = '请填写估计价值（元）';
    if (!this.data.org) errors.org_id = '请选择所在社区';
    if (this.data.photosBusy) errors.photos = '照片还在上传，请稍候';
    return errors;
  },

  async onSubmit() {
    if (this.data.submitting) return;
    const errors = this.validate();
    this.setData({ errors });
    if (Object.keys(errors).length) return;
    const f = this.data.form;
    this.setData({ submitting: true });
    try {
      const body = {
        org_id: this.data.org.id,
        category: CATEGORIES[this.data.categoryIndex],
        title: f.title.trim(),
        description: f.description.trim(),
        value: Number(f.value)
      };
      if (this.data.photos.length) body.photos = this.data.photos.slice();
      await wishesService.postWish(body);
      toast('已提交，等待社区审核', 'success');
      wx.redirectTo({ url: '/pkg-wish/pages/wall/wall?scope=mine' });
    } catch (err) {
      this.setData({ errors: (err && err.fields) || {} });
    } finally {
      this.setData({ submitting: false });
    }
  }
});
