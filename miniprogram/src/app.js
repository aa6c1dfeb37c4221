const auth = require('./utils/auth');
const storage = require('./utils/storage');
const meService = require('./services/me');
const subscribe = require('./utils/subscribe');
const orgs = require('./utils/orgs');
const care = require('./utils/care');

App({
  globalData: {
    user: null,
    unread: 0
  },

  onLaunch() {
    this.globalData.user = storage.getUser();
    care.applyUser(this.globalData.user);
    this.ready().catch(() => {
      // pages show their own login / error state
    });
  },

  /**
   * Resolves the current user once logged in (shared by all pages).
   * Rejects when login is impossible (network, explicit logout): the next call tries again.
   */
  ready() {
    if (!this._ready) {
      this._ready = auth
        .ensureLogin()
        .then(() => meService.getMe())
        .then((user) => {
          // the subscribe-message template ids, so that the first tap can already ask for consent
          subscribe.prefetch();
          return this.setUser(user);
        })
        .catch((err) => {
          this._ready = null;
          throw err;
        });
    }
    return this._ready;
  },

  /** Explicit login from a button (after a logout). */
  login() {
    this._ready = null;
    return auth.login(true).then(() => this.ready());
  },

  refreshUser() {
    return meService.getMe().then((user) => this.setUser(user));
  },

  setUser(user) {
    this.globalData.user = user || null;
    storage.setUser(user || null);
    care.applyUser(user);
    return user;
  },

  /** opts.remote === false: the server session is gone already (account erased). */
  logout(opts) {
    return auth.logout(opts).then(() => {
      this._ready = null;
      this.globalData.user = null;
      this.globalData.unread = 0;
      subscribe.reset();
      orgs.reset();
      care.reset();
    });
  }
});
