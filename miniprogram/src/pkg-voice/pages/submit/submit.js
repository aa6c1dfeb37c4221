const voicesService = require('../../../services/voices');
const { toast } = require('../../../utils/ui');
const careBehavior = require('../../../behaviors/care');

const KINDS = [
  { value: 'suggestion', name: '建议' },
  { value: 'request', name: '诉求' },
  { value: 'complaint', name: '投诉' },
  { value: 'praise', name: '表扬' }
];
const CATEGORIES = ['环境卫生', '物业管理', '治安安全', '交通出行', '医疗养老', '教育文化', '社区服务', '其他'];

/**
 * 我要建言. Opened from a 民意一码通 poster, WeChat passes the code's scene in query.scene
 * (URL-encoded): the submission is bound to that node; otherwise the user picks one.
 */
Page({
  behaviors: [careBehavior],
  data: { kinds: KINDS, categories: CATEGORIES, kind: '', categoryIndex: -1, text: '', anonymous: false, scene: '', org: null, photos: [], photosBusy: false, errors: {}, submitting: false },

  onLoad(query) {
    const scene = query && query.scene ? decodeURIComponent(String(query.scene)) : '';
    this.setData({ scene });
  },

  onKind(e) {
    this.setData({ kind: e.currentTarget.dataset.kind, 'errors.kind': '' });
  },

  onCategoryChange(e) {
    this.setData({ categoryIndex: Number(e.detail.value), 'errors.category': '' });
  },

  onInput(e) {
    this.setData({ text: e.detail.value, 'errors.text': '' });
  },

  onAnonymous(e) {
    this.setData({ anonymous: !!e.detail.value });
  },

  /** photo-uploader: the media ids uploaded so far, and whether one is still uploading */
  onPhotosChange(e) {
    this.setData({ photos: e.detail.ids, photosBusy: e.detail.busy, 'errors.photos': '' });
  },

  onChooseOrg() {
    wx.navigateTo({
      url: '/pages/org-select/org-select?types=community,branch&title=' + encodeURIComponent('提交给哪个组织'),
      events: { selected: (org) => this.setData({ org: { id: org.id, name: org.name }, 'errors.org_id': '' }) }
    });
  },

  body() {
    const d = this.data;
    const errors = {};
    if (!d.kind) errors.kind = '请选择类型';
    if (d.categoryIndex < 0) errors.category = '请选择分类';
    if (d.text.trim().length < 2) errors.text = '请写下您的意见';
    if (!d.scene && !d.org) errors.org_id = '请选择组织';
    if (d.photosBusy) errors.photos = '照片还在上传，请稍候';
    if (Object.keys(errors).length) return { errors };
    const body = { kind: d.kind, category: CATEGORIES[d.categoryIndex], text: d.text.trim(), anonymous: d.anonymous };
    if (d.photos.length) body.photos = d.photos.slice();
    if (d.scene) body.scene = d.scene;
    else body.org_id = d.org.id;
    return { body };
  },

  async onSubmit() {
    if (this.data.submitting) return;
    const { errors, body } = this.body();
    if (errors) {
      this.setData({ errors });
      return;
    }
    this.setData({ submitting: true, errors: {} });
    try {
      const voice = await voicesService.submitVoice(body);
      toast('已提交，我们会尽快答复', 'success');
      wx.redirectTo({ url: '/pkg-voice/pages/detail/detail?id=' + encodeURIComponent(voice.id) });
    } catch (err) {
      this.setData({ errors: (err && err.fields) || {} });
    } finally {
      this.setData({ submitting: false });
    }
  }
});
