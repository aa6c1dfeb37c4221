/**
 * A fake `wx` for tests: jest mocks for every API the app uses, an in-memory storage,
 * and queues to script modal answers and wx.request responses.
 */
function createWx() {
  const store = new Map();
  const modalAnswers = [];
  const files = new Map();
  const wx = {
    __store: store,
    __modalAnswers: modalAnswers,
    /** Next wx.showModal answers, e.g. {confirm: true, content: '原因'} */
    answerModal(...answers) {
      modalAnswers.push(...answers);
    },
    getStorageSync: jest.fn((k) => (store.has(k) ? store.get(k) : '')),
    setStorageSync: jest.fn((k, v) => {
      store.set(k, v);
    }),
    removeStorageSync: jest.fn((k) => {
      store.delete(k);
    }),
    getAccountInfoSync: jest.fn(() => ({ miniProgram: { envVersion: 'develop' } })),
    login: jest.fn((opts) => opts.success({ code: 'wx-code-1' })),
    request: jest.fn(() => {
      throw new Error('wx.request must not be reached from page tests: mock the services module');
    }),
    showToast: jest.fn(),
    showLoading: jest.fn(),
    hideLoading: jest.fn(),
    showModal: jest.fn((opts) => {
      const a = modalAnswers.length ? modalAnswers.shift() : { confirm: true, cancel: false, content: '' };
      if (opts.success) opts.success(Object.assign({ cancel: !a.confirm }, a));
    }),
    stopPullDownRefresh: jest.fn(),
    navigateTo: jest.fn(),
    navigateBack: jest.fn(),
    redirectTo: jest.fn(),
    switchTab: jest.fn(),
    reLaunch: jest.fn(),
    setNavigationBarTitle: jest.fn(),
    chooseLocation: jest.fn(),
    chooseMedia: jest.fn(),
    previewImage: jest.fn(),
    openLocation: jest.fn(),
    makePhoneCall: jest.fn(),
    requestSubscribeMessage: jest.fn((opts) => opts.fail && opts.fail({ errMsg: 'requestSubscribeMessage:fail' })),
    setTabBarBadge: jest.fn(),
    removeTabBarBadge: jest.fn(),
    setClipboardData: jest.fn((opts) => opts.success && opts.success({})),
    shareFileMessage: jest.fn(),
    env: { USER_DATA_PATH: 'wxfile://usr' },
    __files: files,
    getFileSystemManager: jest.fn(() => ({
      writeFileSync: jest.fn((p, data) => {
        files.set(p, data);
      })
    })),
    onNeedPrivacyAuthorization: jest.fn(),
    getPrivacySetting: jest.fn(),
    openPrivacyContract: jest.fn()
  };
  return wx;
}

module.exports = { createWx };
