const pointsService = require('../../../services/points');
const { ListController, emptyList } = require('../../../utils/list');
const { formatDateTime, formatDelta, formatPoints } = require('../../../utils/format');
const careBehavior = require('../../../behaviors/care');

const PERIODS = [
  { key: 'month', text: '本月' },
  { key: 'year', text: '本年' },
  { key: 'all', text: '累计' }
];

function decorateEntry(e) {
  return Object.assign({}, e, {
    deltaText: formatDelta(e.delta),
    positive: Number(e.delta) > 0,
    createdText: formatDateTime(e.created_at)
  });
}

function decorateRank(r) {
  return Object.assign({}, r, { pointsText: String(formatPoints(r.points)) });
}

Page({
  behaviors: [careBehavior],
  data: {
    summary: null,
    summaryLoading: true,
    view: 'ledger', // ledger | board
    kind: 'points', // points | hours
    periods: PERIODS,
    period: 'month',
    ledger: emptyList(),
    board: emptyList(),
    myId: ''
  },

  onLoad() {
    this.ledger = new ListController(
      this,
      'ledger',
      (p) => pointsService.listLedger({ kind: this.data.kind, offset: p.offset, limit: p.limit }),
      { map: decorateEntry }
    );
    this.board = new ListController(
      this,
      'board',
      () => {
        // the leaderboard is a ranked top list without paging
        const s = this.data.summary;
        return pointsService.getLeaderboard({ org_id: s && s.org_id ? s.org_id : undefined, period: this.data.period });
      },
      { map: decorateRank, limit: 50 }
    );
    const user = getApp().globalData.user;
    if (user) this.setData({ myId: user.id });
    return this.load();
  },

  async load() {
    await Promise.all([this.loadSummary(), this.ledger.refresh()]);
    if (this.data.view === 'board') await this.board.refresh();
  },

  async loadSummary() {
    this.setData({ summaryLoading: !this.data.summary });
    try {
      const s = await pointsService.getMyPoints();
      this.setData({
        summary: Object.assign({}, s, {
          pointsText: String(formatPoints(s.points_balance)),
          hoursText: String(formatPoints(s.hours_balance))
        }),
        summaryLoading: false
      });
    } catch (e) {
      this.setData({ summaryLoading: false });
    }
  },

  onPullDownRefresh() {
    return this.load();
  },

  onReachBottom() {
    return this.data.view === 'ledger' ? this.ledger.loadMore() : this.board.loadMore();
  },

  onView(e) {
    const view = e.currentTarget.dataset.key;
    if (view === this.data.view) return;
    this.setData({ view });
    if (view === 'board' && !this.data.board.loaded) return this.board.refresh();
  },

  onKind(e) {
    const kind = e.currentTarget.dataset.key;
    if (kind === this.data.kind) return;
    this.setData({ kind, ledger: emptyList() });
    return this.ledger.refresh();
  },

  onPeriod(e) {
    const period = e.currentTarget.dataset.key;
    if (period === this.data.period) return;
    this.setData({ period, board: emptyList() });
    return this.board.refresh();
  },

  onRetryLedger() {
    return this.ledger.refresh();
  },

  onRetryBoard() {
    return this.board.refresh();
  },

  onMore() {
    return this.data.view === 'ledger' ? this.ledger.loadMore() : this.board.loadMore();
  }
});
