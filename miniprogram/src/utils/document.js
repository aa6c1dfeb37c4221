/**
 * Opens a PDF the API makes (志愿服务记录证明): the only place that calls wx.downloadFile.
 * wx.downloadFile sends no token by itself: the Bearer header is added here, a 401 gets one silent
 * re-login and one more try, and any failure is a Chinese toast (the server's message when it sent one).
 */
const storage = require('./storage');
const { buildUrl, messageFor, NETWORK_MESSAGE } = require('./request');

function download(url) {
  return new Promise((resolve) => {
    const header = {};
    const token = storage.getToken();
    if (token) header.Authorization = 'Bearer ' + token;
    wx.downloadFile({
      url,
      header,
      timeout: 60000,
      success(res) {
        resolve({ status: res.statusCode, filePath: res.tempFilePath });
      },
      fail() {
        resolve({ status: 0, filePath: '' });
      }
    });
  });
}

function fail(message) {
  wx.showToast({ title: message, icon: 'none', duration: 2500 });
  return false;
}

/** openPdf('/certificates/{id}/pdf', {id}) → Promise<boolean> (true once WeChat shows the document). */
async function openPdf(path, params) {
  const url = buildUrl({ path, params });
  wx.showLoading({ title: '正在打开', mask: true });
  let res = await download(url);
  if (res.status === 401) {
    try {
      await require('./auth').relogin();
      res = await download(url);
    } catch (e) {
      // the toast below says the sign-in failed
    }
  }
  wx.hideLoading();
  if (res.status === 0) return fail(NETWORK_MESSAGE);
  if (res.status !== 200 || !res.filePath) return fail(messageFor(res.status, null));
  return new Promise((resolve) => {
    wx.openDocument({
      filePath: res.filePath,
      fileType: 'pdf',
      showMenu: true,
      success: () => resolve(true),
      fail: () => resolve(fail('无法打开文件，请稍后重试'))
    });
  });
}

module.exports = { openPdf };
