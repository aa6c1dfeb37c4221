/**
 * Privacy authorisation popup (required for getPhoneNumber, chooseLocation, chooseMedia since
 * base library 2.32.3). Put it on pages that use those APIs.
 */
Component({
  data: { show: false, contractName: '《用户隐私保护指引》' },
  lifetimes: {
    attached() {
      this.listen();
    },
    detached() {
      this.resolver = null;
    }
  },
  pageLifetimes: {
    show() {
      this.listen();
    }
  },
  methods: {
    listen() {
      if (typeof wx === 'undefined' || !wx.onNeedPrivacyAuthorization) return;
      wx.onNeedPrivacyAuthorization((resolve) => {
        this.resolver = resolve;
        this.setData({ show: true });
      });
      if (wx.getPrivacySetting) {
        wx.getPrivacySetting({
          success: (res) => {
            if (res && res.privacyContractName) this.setData({ contractName: res.privacyContractName });
          }
        });
      }
    },
    onOpenContract() {
      if (wx.openPrivacyContract) {
        wx.openPrivacyContract({
          fail: () => wx.navigateTo({ url: '/pages/privacy/privacy' })
        });
      } else {
        wx.navigateTo({ url: '/pages/privacy/privacy' });
      }
    },
    onAgree() {
      if (this.resolver) this.resolver({ buttonId: 'privacy-agree', event: 'agree' });
      this.resolver = null;
      this.setData({ show: false });
    },
    onDisagree() {
      if (this.resolver) this.resolver({ event: 'disagree' });
      this.resolver = null;
      this.setData({ show: false });
    }
  }
});
