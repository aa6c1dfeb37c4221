/** The screens of test/preview/broken-app (pages built to fail the layout checks). */
module.exports = {
  ROLES: { nobody: { openid: 'preview-nobody', text: '无' } },
  SCREENS: [
    { name: 'broken', title: '故意做坏的页面', role: 'nobody', page: 'pages/broken/broken' },
    // a fixed-size text box: passes at the standard font, cut off at the largest one
    { name: 'tight', title: '定高文字', role: 'nobody', page: 'pages/tight/tight' },
    { name: 'tight-max', title: '定高文字 · 最大字体', role: 'nobody', page: 'pages/tight/tight', fontScale: 1.4 }
  ]
};
