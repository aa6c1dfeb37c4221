/**
 * The glue every paged list page shares: one ListController in data.list, pull-to-refresh,
 * load-more on reaching the bottom, retry, status tabs (data.status) and a reload when the page is
 * shown again after another page changed things. A page calls this.initList(fetcher, opts) in
 * onLoad and this.refreshOnReturn() in onShow.
 */
const { ListController, emptyList } = require('../utils/list');

module.exports = Behavior({
  data: { list: emptyList() },
  methods: {
    initList(fetcher, opts) {
      this.list = new ListController(this, 'list', fetcher, opts);
      return this.list.refresh();
    },
    refreshOnReturn() {
      if (this.shownOnce && this.list) this.list.refresh();
      this.shownOnce = true;
    },
    onPullDownRefresh() {
      return this.list.refresh();
    },
    onReachBottom() {
      return this.list.loadMore();
    },
    onRetry() {
      return this.list.refresh();
    },
    onMore() {
      return this.list.loadMore();
    },
    onTab(e) {
      const status = e.currentTarget.dataset.key;
      if (status === this.data.status) return;
      this.setData({ status, list: emptyList() });
      return this.list.refresh();
    }
  }
});
