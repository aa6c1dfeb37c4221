Page({
  data: { updated: '2025年1月1日' }
});
