const voicesService = require('../../../services/voices');
const { prompt, toast } = require('../../../utils/ui');
const careBehavior = require('../../../behaviors/care');

const RATINGS = ['满意', '基本满意', '不满意'];

/**
 * A submission with its timeline and replies. The submitter rates a reply (不满意 sends it
 * back once); the handler replies; ?followup=<id> asks "still solved?" (回访).
 */
Page({
  behaviors: [careBehavior],
  data: { voice: null, ratings: RATINGS, followup: null, busy: false, loading: true, error: '' },

  onLoad(query) {
    this.id = String((query && query.id) || '');
    this.followupId = query && query.followup ? String(query.followup) : '';
    return this.load();
  },

  async load() {
    this.setData({ loading: true });
    try {
      const jobs = [voicesService.getVoice(this.id)];
      if (this.followupId) jobs.push(voicesService.getFollowup(this.followupId));
      const [voice, followup] = await Promise.all(jobs);
      this.setData({ voice, followup: followup && followup.status === 'pending' ? followup : null, error: '' });
    } catch (err) {
      this.setData({ error: (err && err.message) || '加载失败' });
    } finally {
      this.setData({ loading: false });
    }
  },

  async run(fn, done) {
    if (this.data.busy) return;
    this.setData({ busy: true });
    try {
      await fn();
      if (done) toast(done, 'success');
      await this.load();
    } catch (err) {
      if (err && err.status === 409) await this.load();
    } finally {
      this.setData({ busy: false });
    }
  },

  async onRate(e) {
    const rating = e.currentTarget.dataset.rating;
    const comment = rating === '不满意' ? await prompt('不满意的原因', '请告诉我们哪里还没解决', false) : '';
    if (comment === null) return;
    await this.run(() => voicesService.rateVoice(this.id, { rating, comment }), '感谢您的评价');
  },

  async onReply() {
    const text = await prompt('答复', '答复内容', true);
    if (text) await this.run(() => voicesService.replyVoice(this.id, { text, public: false }), '已答复');
  },

  async onFollowup(e) {
    const solved = e.currentTarget.dataset.solved === 'yes';
    await this.run(() => voicesService.answerFollowup(this.followupId, { solved }), solved ? '感谢您的反馈' : '已重新办理');
  }
});
