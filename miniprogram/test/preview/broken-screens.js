/** The one screen of test/preview/broken-app (a page built to fail every layout check). */
module.exports = {
  ROLES: { nobody: { openid: 'preview-nobody', text: '无' } },
  SCREENS: [{ name: 'broken', title: '故意做坏的页面', role: 'nobody', page: 'pages/broken/broken' }]
};
