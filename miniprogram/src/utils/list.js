/**
 * Paged list state for a page: data[key] = {items, loading, loaded, hasMore, nextCursor, error, loadMoreError}.
 * Lists are keyset-paged: fetcher({cursor, limit}) must resolve {items, next_cursor}; the cursor is
 * opaque (null for the first page, then the server's next_cursor, passed back unchanged).
 * `offset` is given too, the same page token (0 for the first page), for pages that still pass
 * `offset: p.offset`: services turn it into `cursor` with pageQuery().
 * Use refresh() on load and pull-down, loadMore() on reach-bottom.
 */
const config = require('../config/index');

function emptyList() {
  return { items: [], loading: false, loaded: false, hasMore: false, nextCursor: null, error: '', loadMoreError: false };
}

function nextCursorOf(res) {
  return res.next_cursor === undefined || res.next_cursor === null ? null : res.next_cursor;
}

/** A list query for the API: the page token (`cursor`, or a page's `offset`) sent as `cursor`. */
function pageQuery(query) {
  const q = Object.assign({}, query || {});
  const token = q.cursor || q.offset;
  delete q.offset;
  delete q.cursor;
  if (token) q.cursor = token;
  return q;
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
      const res = (await this.fetcher({ cursor: null, offset: 0, limit: this.limit })) || {};
      if (seq !== this.seq) return;
      const next = nextCursorOf(res);
      this.patch({
        items: (res.items || []).map(this.map),
        nextCursor: next,
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
    if (this.busy || !s.hasMore || s.nextCursor === null) return;
    const seq = this.seq;
    let again = false;
    this.busy = true;
    this.patch({ loading: true, loadMoreError: false });
    try {
      const res = (await this.fetcher({ cursor: s.nextCursor, offset: s.nextCursor, limit: this.limit })) || {};
      if (seq !== this.seq) return;
      const next = nextCursorOf(res);
      // an item can come twice when it moved between pages (e.g. read → unread groups)
      const have = {};
      this.state().items.forEach((x) => {
        if (x && x.id !== undefined) have[x.id] = true;
      });
      const fresh = (res.items || []).filter((x) => !(x && x.id !== undefined && have[x.id]));
      this.patch({
        items: this.state().items.concat(fresh.map(this.map)),
        nextCursor: next,
        hasMore: next !== null,
        loading: false
      });
      // a page of duplicates only adds nothing to scroll: fetch the next one right away
      again = fresh.length === 0 && next !== null && next !== s.nextCursor;
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
   * Kept for pages written for offsets: a keyset cursor names the last item seen, so items that
   * moved further down the server's order are neither skipped nor repeated. Nothing to do.
   */
  rewind() {}

  removeItem(id) {
    this.patch({ items: this.state().items.filter((x) => x.id !== id) });
  }
}

module.exports = { ListController, emptyList, pageQuery };
