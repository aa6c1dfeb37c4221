const categoriesService = require('../../services/categories');
const ordersService = require('../../services/orders');
const meService = require('../../services/me');
const { uuid4 } = require('../../utils/uuid');
const subscribe = require('../../utils/subscribe');
const { toISO, formatDate } = require('../../utils/format');
const { toast } = require('../../utils/ui');
const { LAST_ORDER_ORG_KEY: LAST_ORG_KEY } = require('../../utils/storage');
const voice = require('../../utils/voice');
const careBehavior = require('../../behaviors/care');

const MAX_PHOTOS = 9;
const MAX_DESCRIPTION = 500;

function emptyForm() {
  return {
    description: '',
    address: '',
    location: null,
    contact_name: '',
    contact_phone: '',
    wantedDate: '',
    wantedTime: '',
    photos: []
  };
}

Page({
  behaviors: [careBehavior],
  data: {
    categories: [],
    categoryIndex: -1,
    category: null,
    org: null,
    user: null,
    form: emptyForm(),
    errors: {},
    today: '',
    submitting: false,
    photosBusy: false,
    loading: true,
    maxPhotos: MAX_PHOTOS,
    maxDescription: MAX_DESCRIPTION,
    // 关怀模式 voice input: 'ready' | 'listening' | 'unavailable'
    voice: 'ready'
  },

  onLoad(query) {
    this.presetCategoryId = query && query.category_id ? String(query.category_id) : '';
    this.idempotencyKey = '';
    this.setData({ today: formatDate(new Date()) });
    subscribe.prefetch();
    this.load();
  },

  async load() {
    this.setData({ loading: true });
    let user = null;
    try {
      user = await getApp().ready();
    } catch (e) {
      // shown by the request layer; the form still works once login succeeds
    }
    let org = null;
    try {
      org = wx.getStorageSync(LAST_ORG_KEY) || null;
    } catch (e) {
      org = null;
    }
    if (!org && user && user.org_id) org = { id: user.org_id, name: user.org_name || '' };
    this.setData({ user, org, 'form.contact_name': (user && user.name) || '' });
    try {
      const res = await categoriesService.listCategories();
      const categories = res.items || [];
      const idx = this.presetCategoryId ? categories.findIndex((c) => String(c.id) === this.presetCategoryId) : -1;
      this.setData({ categories, categoryIndex: idx, category: idx >= 0 ? categories[idx] : null, loading: false });
    } catch (e) {
      this.setData({ loading: false });
    }
  },

  onShow() {
    if (!voice.available()) this.setData({ voice: 'unavailable' });
  },

  /** Hold to speak: the recognised words are added to the description. */
  onVoiceStart() {
    if (this.data.voice === 'unavailable' || !voice.available()) {
      this.setData({ voice: 'unavailable' });
      wx.showModal({ title: '语音输入不可用', content: '当前无法使用语音输入，请直接在输入框里打字描述您的需要。', showCancel: false });
      return;
    }
    const started = voice.start({
      onText: (text) => {
        const joined = (this.data.form.description + text).slice(0, MAX_DESCRIPTION);
        this.setData({ voice: 'ready', 'form.description': joined, 'errors.description': '' });
      },
      onError: (message) => {
        this.setData({ voice: 'ready' });
        toast(message);
      }
    });
    this.setData({ voice: started ? 'listening' : 'unavailable' });
  },

  onVoiceEnd() {
    if (this.data.voice === 'listening') voice.stop();
  },

  onCategoryChange(e) {
    const idx = Number(e.detail.value);
    this.setData({ categoryIndex: idx, category: this.data.categories[idx] || null, 'errors.category_id': '' });
  },

  onInput(e) {
    const field = e.currentTarget.dataset.field;
    this.setData({ ['form.' + field]: e.detail.value, ['errors.' + field]: '' });
  },

  onDateChange(e) {
    this.setData({ 'form.wantedDate': e.detail.value, 'errors.wanted_at': '' });
    if (!this.data.form.wantedTime) this.setData({ 'form.wantedTime': '09:00' });
  },

  onTimeChange(e) {
    this.setData({ 'form.wantedTime': e.detail.value, 'errors.wanted_at': '' });
  },

  onChooseOrg() {
    wx.navigateTo({
      url: '/pages/org-select/org-select?types=community,branch&title=' + encodeURIComponent('选择服务社区'),
      events: {
        selected: (org) => {
          this.setData({ org: { id: org.id, name: org.name }, 'errors.org_id': '' });
        }
      }
    });
  },

  onChooseLocation() {
    const loc = this.data.form.location;
    wx.chooseLocation({
      latitude: loc ? loc.coordinates[1] : undefined,
      longitude: loc ? loc.coordinates[0] : undefined,
      success: (res) => {
        const address = [res.address, res.name].filter(Boolean).join(' ');
        this.setData({
          'form.address': address || this.data.form.address,
          'form.location': { type: 'Point', coordinates: [Number(res.longitude), Number(res.latitude)] },
          'errors.address': '',
          'errors.location': ''
        });
      },
      fail: (err) => {
        if (err && err.errMsg && err.errMsg.indexOf('cancel') >= 0) return;
        toast('无法打开地图选点，请检查定位权限');
      }
    });
  },

  /** photo-uploader: the media ids uploaded so far, and whether one is still uploading */
  onPhotosChange(e) {
    this.setData({ 'form.photos': e.detail.ids, photosBusy: e.detail.busy, 'errors.photos': '' });
  },

  async onGetPhoneNumber(e) {
    const code = e && e.detail && e.detail.code;
    if (!code) {
      toast('未获取到手机号，可手动填写联系电话');
      return;
    }
    try {
      const user = await meService.bindPhone(code);
      getApp().setUser(user);
      this.setData({ user, 'errors.contact_phone': '' });
      toast('手机号已绑定', 'success');
    } catch (err) {
      // toast shown by the request layer
    }
  },

  validate() {
    const d = this.data;
    const f = d.form;
    const errors = {};
    if (!d.category) errors.category_id = '请选择服务项目';
    if (!d.org) errors.org_id = '请选择服务社区';
    const desc = f.description.trim();
    if (!desc) errors.description = '请描述您的需求';
    else if (desc.length > MAX_DESCRIPTION) errors.description = '需求描述不能超过' + MAX_DESCRIPTION + '字';
    if (!f.address.trim()) errors.address = '请填写服务地址';
    if (!f.location) errors.location = '请在地图上选择位置';
    if (d.photosBusy) errors.photos = '照片还在上传，请稍候';
    const phone = f.contact_phone.trim();
    if (phone && !/^1\d{10}$/.test(phone)) errors.contact_phone = '请填写正确的手机号';
    if (!phone && !(d.user && d.user.has_phone)) errors.contact_phone = '请授权微信手机号或填写联系电话';
    if (f.wantedDate) {
      const iso = toISO(f.wantedDate, f.wantedTime || '09:00');
      const t = Date.parse(iso);
      if (!iso || isNaN(t) || t < Date.now()) errors.wanted_at = '期望时间需晚于现在';
    }
    return errors;
  },

  buildBody() {
    const d = this.data;
    const f = d.form;
    const body = {
      category_id: d.category.id,
      org_id: d.org.id,
      description: f.description.trim(),
      address: f.address.trim(),
      location: f.location
    };
    if (f.contact_name.trim()) body.contact_name = f.contact_name.trim();
    if (f.contact_phone.trim()) body.contact_phone = f.contact_phone.trim();
    if (f.wantedDate) body.wanted_at = toISO(f.wantedDate, f.wantedTime || '09:00');
    if (f.photos.length) body.photos = f.photos.slice();
    return body;
  },

  async onSubmit() {
    if (this.data.submitting) return;
    const errors = this.validate();
    if (Object.keys(errors).length) {
      this.setData({ errors });
      toast(errors[Object.keys(errors)[0]]);
      return;
    }
    // consent to status messages: synchronously inside the tap; the order is sent meanwhile
    const consent = subscribe.ask();
    // one key per submission; kept when the outcome is unknown so a retry cannot create a duplicate
    if (!this.idempotencyKey) this.idempotencyKey = uuid4();
    this.setData({ submitting: true, errors: {} });
    try {
      const order = await ordersService.createOrder(this.buildBody(), this.idempotencyKey);
      this.idempotencyKey = '';
      try {
        wx.setStorageSync(LAST_ORG_KEY, this.data.org);
      } catch (e) {
        // not important
      }
      this.setData({ submitting: false });
      wx.showToast({ title: '提交成功', icon: 'success' });
      // leaving the page would dismiss a consent dialog still open
      await subscribe.answered(consent);
      wx.redirectTo({ url: '/pages/order-detail/order-detail?id=' + encodeURIComponent(order.id) });
    } catch (err) {
      // a 4xx answer means nothing was created: the next attempt gets a fresh key
      if (err.status >= 400 && err.status < 500 && err.status !== 429) this.idempotencyKey = '';
      const fieldErrors = {};
      Object.keys(err.fields || {}).forEach((k) => {
        fieldErrors[k.split('.')[0]] = err.fields[k];
      });
      this.setData({ submitting: false, errors: fieldErrors });
    }
  }
});
