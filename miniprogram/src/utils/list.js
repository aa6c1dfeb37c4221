/**
 * Paged list state for a page: data[key] = {items, loading, loaded, hasMore, nextOffset, error, loadMoreError}.
 * fetcher({offset, limit}) must resolve {items, next_offset}.
 * Use refresh() on load and pull-down, loadMore() on reach-bottom.
 */
const config = require('../config/index');

function emptyList() {
  return { items: [], loading: false, loaded: false, hasMore: false, nextOffset: null, error: '', loadMoreError: false };
}

class ListController {
  constructor(page, key, fetcher, opts) {
    const o = opts || {};
    this.page = page;
    this.key = key;
    this.fetcher = fetcher;
    this.limit = o.limit || config.pageSize;
    this.map = o.map || ((x) => x);
    this.seq = 0;
    this.busy = false;
  }

  state() {
    return this.page.data[this.key] || emptyList();
  }

  patch(p) {
    this.page.setData({ [this.key]: Object.assign({}, this.state(), p) });
  }

  async refresh() {
    const seq = ++this.seq;
    this.busy = true;
    this.patch({ loading: true, error: '', loadMoreError: false });
    try {
      const res = (await this.fetcher({ offset: 0, limit: this.limit })) || {};
      if (seq !== this.seq) return;
      const next = res.next_offset === undefined || res.next_offset === null ? null : res.next_offset;
      this.patch({
        items: (res.items || []).map(this.map),
        nextOffset: next,
        hasMore: next !== null,
        loading: false,
        loaded: true
      });
    } catch (e) {
      if (seq !== this.seq) return;
      this.patch({ loading: false, loaded: true, error: (e && e.message) || '加载失败' });
    } finally {
      if (seq === this.seq) this.busy = false;
      if (typeof wx !== 'undefined' && wx.stopPullDownRefresh) wx.stopPullDownRefresh();
    }
  }

  async loadMore() {
    const s = this.state();
    if (this.busy || !s.hasMore || s.nextOffset === null) return;
    const seq = this.seq;
    this.busy = true;
    this.patch({ loading: true, loadMoreError: false });
    try {
      const res = (await this.fetcher({ offset: s.nextOffset, limit: this.limit })) || {};
      if (seq !== this.seq) return;
      const next = res.next_offset === undefined || res.next_offset === null ? null : res.next_offset;
      this.patch({
        items: this.state().items.concat((res.items || []).map(this.map)),
        nextOffset: next,
        hasMore: next !== null,
        loading: false
      });
    } catch (e) {
      if (seq !== this.seq) return;
      this.patch({ loading: false, loadMoreError: true });
    } finally {
      if (seq === this.seq) this.busy = false;
    }
  }

  /** Replaces one item (matched by id) after an action, without reloading. */
  replaceItem(item) {
    const items = this.state().items.map((x) => (x.id === item.id ? this.map(item) : x));
    this.patch({ items });
  }

  removeItem(id) {
    this.patch({ items: this.state().items.filter((x) => x.id !== id) });
  }
}

module.exports = { ListController, emptyList };
