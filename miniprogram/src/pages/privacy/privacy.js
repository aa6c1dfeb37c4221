const careBehavior = require('../../behaviors/care');

Page({
  behaviors: [careBehavior],
  data: { updated: '2025年1月1日' }
});
