const activitiesService = require('../../../services/activities');
const { ListController, emptyList } = require('../../../utils/list');
const { decorate, locate } = require('../../utils');
const careBehavior = require('../../../behaviors/care');

const KINDS = [
  { value: '', name: '全部类型' },
  { value: 'volunteer', name: '志愿服务活动' },
  { value: 'party_day', name: '主题党日' },
  { value: 'branch_assembly', name: '支部党员大会' },
  { value: 'committee_meeting', name: '支委会' },
  { value: 'group_meeting', name: '党小组会' },
  { value: 'party_lecture', name: '党课' }
];

Page({
  behaviors: [careBehavior],
  data: {
    tab: 'org',
    kinds: KINDS,
    kindIndex: 0,
    near: '',
    locateError: '',
    organiser: false,
    list: emptyList()
  },

  onLoad() {
    const user = (getApp().globalData || {}).user || {};
    this.setData({ organiser: user.role === 'secretary' || user.role === 'admin' });
    this.list = new ListController(this, 'list', (p) => activitiesService.listActivities(this.query(p)), { map: decorate });
    this.list.refresh();
  },

  query(p) {
    const q = { offset: p.offset, limit: p.limit };
    const kind = KINDS[this.data.kindIndex].value;
    if (kind) q.kind = kind;
    if (this.data.tab === 'near' && this.data.near) q.near = this.data.near;
    return q;
  },

  onPullDownRefresh() {
    return this.list.refresh();
  },

  onReachBottom() {
    return this.list.loadMore();
  },

  async onTab(e) {
    const tab = e.currentTarget.dataset.tab;
    if (tab === this.data.tab) return;
    this.setData({ tab, locateError: '' });
    if (tab === 'near' && !this.data.near) {
      try {
        const here = await locate();
        this.setData({ near: here.location.coordinates.join(',') });
      } catch (err) {
        this.setData({ locateError: '无法获取位置，请在设置中允许定位后重试' });
      }
    }
    return this.list.refresh();
  },

  onKind(e) {
    this.setData({ kindIndex: Number(e.detail.value) || 0 });
    return this.list.refresh();
  },

  onSelect(e) {
    wx.navigateTo({ url: '/pkg-activity/pages/detail/detail?id=' + encodeURIComponent(e.detail.id) });
  },

  onScan() {
    wx.navigateTo({ url: '/pkg-activity/pages/scan/scan' });
  },

  onMine() {
    wx.navigateTo({ url: '/pkg-activity/pages/mine/mine' });
  },

  onCreate() {
    wx.navigateTo({ url: '/pkg-activity/pages/create/create' });
  }
});
