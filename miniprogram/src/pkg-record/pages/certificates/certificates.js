const certificatesService = require('../../../services/certificates');
const listBehavior = require('../../../behaviors/list');
const { formatDate, isManager } = require('../../../utils/format');
const { toast } = require('../../../utils/ui');
const { openPdf } = require('../../../utils/document');
const { dayText, numberText } = require('../../utils');
const careBehavior = require('../../../behaviors/care');

/** The identity documents the Ministry of Civil Affairs' rules name (as the server accepts them). */
const ID_TYPES = ['居民身份证', '港澳居民来往内地通行证', '台湾居民来往大陆通行证', '护照'];

function decorate(c) {
  return Object.assign({}, c, {
    periodText: c.period_from + ' 至 ' + c.period_to,
    issuedText: dayText(c.issued_at),
    createdText: dayText(c.created_at),
    hoursText: c.total_hours === null || c.total_hours === undefined ? '' : numberText(c.total_hours),
    canOpen: c.status === 'issued'
  });
}

function emptyForm(today) {
  return { from: today.getFullYear() - 1 + '-01-01', to: formatDate(today), idTypeIndex: 0, idNumber: '', purpose: '', errors: {} };
}

/**
 * 志愿服务记录证明: request one for a period (identity as the rules ask; the number is stored
 * masked), follow it until a secretary issues it, open the PDF with its verification QR code.
 */
Page({
  behaviors: [listBehavior, careBehavior],

  data: { idTypes: ID_TYPES, staff: false, showForm: false, form: emptyForm(new Date()), today: formatDate(new Date()), submitting: false, openingId: '' },

  onLoad(query) {
    const staff = isManager((getApp().globalData || {}).user);
    this.setData({ staff, showForm: !staff && !!(query && query.form) });
    return this.initList((p) => certificatesService.listCertificates({ offset: p.offset, limit: p.limit }), { map: decorate });
  },

  onShow() {
    this.refreshOnReturn();
  },

  onOpenForm() {
    this.setData({ showForm: true, form: emptyForm(new Date()) });
  },

  onCloseForm() {
    this.setData({ showForm: false });
  },

  onDate(e) {
    const field = e.currentTarget.dataset.field;
    this.setData({ ['form.' + field]: e.detail.value, ['form.errors.' + field]: '' });
  },

  onIdType(e) {
    this.setData({ 'form.idTypeIndex': Number(e.detail.value) || 0 });
  },

  onInput(e) {
    const field = e.currentTarget.dataset.field;
    this.setData({ ['form.' + field]: e.detail.value });
  },

  async onSubmit() {
    if (this.data.submitting) return;
    const f = this.data.form;
    const errors = {};
    const idNumber = String(f.idNumber || '').replace(/\s+/g, '');
    if (!f.from) errors.from = '请选择开始日期';
    if (!f.to) errors.to = '请选择结束日期';
    if (f.from && f.to && f.from > f.to) errors.from = '开始日期不能晚于结束日期';
    if (!/^[0-9A-Za-z]{6,20}$/.test(idNumber)) errors.id_number = '证件号码应为 6 到 20 位字母或数字';
    this.setData({ 'form.errors': errors });
    if (Object.keys(errors).length) return;
    this.setData({ submitting: true });
    try {
      await certificatesService.requestCertificate({ from: f.from, to: f.to, id_type: ID_TYPES[f.idTypeIndex], id_number: idNumber, purpose: (f.purpose || '').trim() });
      toast('已提交，等待支部出具', 'success');
      this.setData({ submitting: false, showForm: false, form: emptyForm(new Date()) });
      this.list.refresh();
    } catch (err) {
      this.setData({ submitting: false, 'form.errors': Object.assign({}, err.fields || {}) });
    }
  },

  /** Downloads the PDF (with the token) and opens it in WeChat's viewer. */
  async onOpen(e) {
    const id = e.currentTarget.dataset.id;
    if (this.data.openingId) return;
    this.setData({ openingId: id });
    await openPdf('/certificates/{id}/pdf', { id });
    this.setData({ openingId: '' });
  }
});
