/**
 * API base per environment.
 * envVersion comes from wx.getAccountInfoSync(): develop (开发版/DevTools), trial (体验版), release (正式版).
 * Replace the trial/release placeholders with the real HTTPS domains (they must also be listed as
 * request legal domains in the WeChat admin console).
 */
const ENV = {
  develop: {
    apiBase: 'http://127.0.0.1:8000'
  },
  trial: {
    apiBase: 'https://trial.api.example.com' // TODO: 体验版接口域名
  },
  release: {
    apiBase: 'https://api.example.com' // TODO: 正式版接口域名
  }
};

// 订阅消息模板 ID 不在这里配置：由服务端 GET /api/v1/subscriptions 下发（见 utils/subscribe.js）。

function detectEnv() {
  try {
    if (typeof wx !== 'undefined' && wx.getAccountInfoSync) {
      const info = wx.getAccountInfoSync();
      const v = info && info.miniProgram && info.miniProgram.envVersion;
      if (v && ENV[v]) return v;
    }
  } catch (e) {
    // 不支持时按开发版处理
  }
  return 'develop';
}

const envVersion = detectEnv();

module.exports = {
  envVersion,
  apiBase: ENV[envVersion].apiBase,
  apiPrefix: '/api/v1',
  pageSize: 20,
  ENV
};
