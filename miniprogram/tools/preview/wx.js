/**
 * The `wx` a previewed page talks to. Requests go to a transport (recorded fixtures, or the live
 * demo backend while recording); everything the page asks of the native side (toasts, the tab-bar
 * badge, the navigation title, modals) is kept so that the frame can draw it.
 */
function createWx(opts) {
  const store = new Map(Object.entries(opts.storage || {}));
  const ui = { toast: null, badge: null, title: null, modal: null, inflight: 0 };
  const wx = {
    __ui: ui,
    env: { USER_DATA_PATH: 'wxfile://usr' },
    getAccountInfoSync: () => ({ miniProgram: { envVersion: 'develop' } }),
    getSystemInfoSync: () => ({ windowWidth: 375, windowHeight: 812, pixelRatio: 2, platform: 'ios', safeArea: { bottom: 778 } }),
    getStorageSync: (k) => (store.has(k) ? store.get(k) : ''),
    setStorageSync: (k, v) => {
      store.set(k, v);
    },
    removeStorageSync: (k) => {
      store.delete(k);
    },
    login(o) {
      setTimeout(() => o.success && o.success({ code: 'ok:' + opts.openid }), 0);
    },
    request(o) {
      ui.inflight++;
      opts
        .transport({ method: o.method || 'GET', url: o.url, data: o.data, header: o.header || {} })
        .then(
          (res) => {
            ui.inflight--;
            if (o.success) o.success({ statusCode: res.status, data: res.body, header: {} });
          },
          () => {
            ui.inflight--;
            if (o.fail) o.fail({ errMsg: 'request:fail' });
          }
        )
        .then(() => o.complete && o.complete());
    },
    showToast(o) {
      ui.toast = { title: o.title, icon: o.icon || 'success' };
    },
    hideToast() {
      ui.toast = null;
    },
    showLoading(o) {
      ui.toast = { title: o.title, icon: 'loading' };
    },
    hideLoading() {
      ui.toast = null;
    },
    showModal(o) {
      ui.modal = o;
    },
    setTabBarBadge(o) {
      ui.badge = { index: o.index, text: o.text };
    },
    removeTabBarBadge() {
      ui.badge = null;
    },
    setNavigationBarTitle(o) {
      ui.title = o.title;
    },
    stopPullDownRefresh() {},
    navigateTo() {},
    navigateBack() {},
    redirectTo() {},
    switchTab() {},
    reLaunch() {},
    requestSubscribeMessage(o) {
      if (o.fail) o.fail({ errMsg: 'requestSubscribeMessage:fail preview' });
    },
    onNeedPrivacyAuthorization() {},
    getPrivacySetting(o) {
      if (o && o.success) o.success({ needAuthorization: false, privacyContractName: '《同心用户隐私保护指引》' });
    },
    openPrivacyContract() {},
    chooseLocation() {},
    chooseMedia() {},
    previewImage() {},
    openLocation() {},
    makePhoneCall() {},
    setClipboardData() {},
    getFileSystemManager: () => ({ writeFileSync() {} }),
    nextTick: (fn) => setTimeout(fn, 0)
  };
  return wx;
}

module.exports = { createWx };
