const tasksService = require('../../../services/tasks');
const ordersService = require('../../../services/orders');
const listBehavior = require('../../../behaviors/list');
const orgs = require('../../../utils/orgs');
const { confirm, toast } = require('../../../utils/ui');
const subscribe = require('../../../utils/subscribe');
const careBehavior = require('../../../behaviors/care');

Page({
  behaviors: [listBehavior, careBehavior],

  data: {
    takingId: ''
  },

  onLoad() {
    subscribe.prefetch();
    // each order names its community (not its address, shown once taken)
    return this.initList((p) =>
      Promise.all([tasksService.listTaskHall({ offset: p.offset, limit: p.limit }), orgs.communities()]).then(([res, communityOf]) =>
        Object.assign({}, res, { items: (res.items || []).map((o) => Object.assign({}, o, { community_name: communityOf(o.org_id) })) })
      )
    );
  },

  onShow() {
    this.refreshOnReturn();
  },

  onSelect(e) {
    wx.navigateTo({ url: '/pages/order-detail/order-detail?id=' + encodeURIComponent(e.detail.id) });
  },

  async onTake(e) {
    const id = e.currentTarget.dataset.id;
    if (this.data.takingId) return;
    // the consent dialog opens from the confirm dialog's callback (a user gesture), before the request
    let consent = null;
    const onConfirm = () => {
      consent = subscribe.ask();
    };
    if (!(await confirm('确认接单', '接单后可查看详细地址和联系电话，请按时上门服务，完成后可获得志愿积分', '', { onConfirm }))) return;
    this.setData({ takingId: id });
    try {
      await ordersService.acceptOrder(id);
      this.list.removeItem(id);
      toast('接单成功', 'success');
      this.setData({ takingId: '' });
      // leaving the page would dismiss a consent dialog still open
      await subscribe.answered(consent);
      wx.navigateTo({ url: '/pages/order-detail/order-detail?id=' + encodeURIComponent(id) });
    } catch (err) {
      this.setData({ takingId: '' });
      // taken by someone else meanwhile, or no longer open: show the current hall
      if (err.status === 409 || err.status === 404) this.list.refresh();
    }
  }
});
