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
    let again = false;
    this.busy = true;
    this.patch({ loading: true, loadMoreError: false });
    try {
      const res = (await this.fetcher({ offset: s.nextOffset, limit: this.limit })) || {};
      if (seq !== this.seq) return;
      const next = res.next_offset === undefined || res.next_offset === null ? null : res.next_offset;
      // an item can come twice when the order moved between pages (e.g. read → unread groups)
      const have = {};
      this.state().items.forEach((x) => {
        if (x && x.id !== undefined) have[x.id] = true;
      });
      const fresh = (res.items || []).filter((x) => !(x && x.id !== undefined && have[x.id]));
      this.patch({
        items: this.state().items.concat(fresh.map(this.map)),
        nextOffset: next,
        hasMore: next !== null,
        loading: false
      });
      // a page of duplicates only adds nothing to scroll: fetch the next one right away
      again = fresh.length === 0 && next !== null && next > s.nextOffset;
    } catch (e) {
      if (seq !== this.seq) return;
      this.patch({ loading: false, loadMoreError: true });
    } finally {
      if (seq === this.seq) this.busy = false;
    }
    if (again) return this.loadMore();
  }

  /** Replaces one item (matched by id) after an action, without reloading. */
  replaceItem(item) {
    const items = this.state().items.map((x) => (x.id === item.id ? this.map(item) : x));
    this.patch({ items });
  }

  /**
   * Moves the next page's offset back by n (never below 0): after n loaded items moved further down
   * the server's order, the next page would otherwise skip n items. Duplicates are dropped on load.
   */
  rewind(n) {
    const s = this.state();
    if (s.nextOffset === null || !n) return;
    this.patch({ nextOffset: Math.max(0, s.nextOffset - n) });
  }

  removeItem(id) {
    this.patch({ items: this.state().items.filter((x) => x.id !== id) });
  }
}

module.exports = { ListController, emptyList };
