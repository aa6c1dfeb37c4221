jest.mock('../../src/services/wishes');
jest.mock('../../src/services/voices');

const wishesService = require('../../src/services/wishes');
const voicesService = require('../../src/services/voices');
const { createPage, flush, fakeApp, apiError, ev } = require('../helpers/page');

function wish(extra) {
  return Object.assign({ id: 'w1', status: 'approved', status_name: '待认领', title: '新书包', category: '学习用品', value: 120, org_name: '阳光社区', description: '想要书包', actions: ['claim'], timeline: [] }, extra);
}

function voice(extra) {
  return Object.assign({ id: 'v1', status: 'replied', status_name: '已答复', kind_name: '诉求', category: '环境卫生', text: '楼道灯坏了', replies: [], timeline: [], actions: ['rate'] }, extra);
}

describe('心愿墙', () => {
  test('lists the wall, switches to my wishes, a member claims (409 refreshes)', async () => {
    fakeApp({ id: 'm1', role: 'member', name: '队员' });
    wishesService.listWishes.mockResolvedValue({ items: [wish()], next_offset: null });
    const page = createPage('pkg-wish/pages/wall/wall');
    page.onLoad({});
    await flush();
    expect(wishesService.listWishes).toHaveBeenCalledWith({ scope: 'wall', offset: 0, limit: 20 });
    expect(page.data.member).toBe(true);
    expect(page.data.list.items[0].title).toBe('新书包');
    await page.onTab(ev({ scope: 'mine' }));
    expect(wishesService.listWishes).toHaveBeenLastCalledWith({ scope: 'mine', offset: 0, limit: 20 });

    wx.showModal = jest.fn((o) => o.success({ confirm: true }));
    wishesService.claimWish.mockRejectedValue(apiError(409, '该心愿已被其他党员认领'));
    wishesService.listWishes.mockClear();
    await page.onClaim(ev({ id: 'w1' }));
    expect(wishesService.claimWish).toHaveBeenCalledWith('w1');
    expect(wishesService.listWishes).toHaveBeenCalled();
    expect(page.data.claimingId).toBe('');

    wishesService.claimWish.mockResolvedValue(wish({ status: 'claimed' }));
    wx.navigateTo = jest.fn();
    await page.onClaim(ev({ id: 'w1' }));
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pkg-wish/pages/detail/detail?id=w1' });
  });

  test('post a wish: every missing field is named, then it is sent', async () => {
    fakeApp({ id: 'u1', role: 'resident' });
    const page = createPage('pkg-wish/pages/post/post');
    await page.onSubmit();
    expect(wishesService.postWish).not.toHaveBeenCalled();
    expect(Object.keys(page.data.errors).sort()).toEqual(['category', 'description', 'org_id', 'title', 'value']);
    wx.navigateTo = jest.fn((o) => o.events.selected({ id: 'c1', name: '阳光社区' }));
    page.onChooseOrg();
    page.onCategoryChange(ev({}, { value: '0' }));
    page.onInput(ev({ field: 'title' }, { value: '新书包' }));
    page.onInput(ev({ field: 'description' }, { value: '孩子上学需要' }));
    page.onInput(ev({ field: 'value' }, { value: '120' }));
    wishesService.postWish.mockResolvedValue(wish({ status: 'submitted' }));
    wx.redirectTo = jest.fn();
    await page.onSubmit();
    expect(wishesService.postWish).toHaveBeenCalledWith({ org_id: 'c1', category: '学习用品', title: '新书包', description: '孩子上学需要', value: 120 });
    expect(wx.redirectTo).toHaveBeenCalledWith({ url: '/pkg-wish/pages/wall/wall?scope=mine' });
  });

  test('post a wish with photos: waits while one uploads, then sends the media ids', async () => {
    fakeApp({ id: 'u1', role: 'resident' });
    const page = createPage('pkg-wish/pages/post/post');
    wx.navigateTo = jest.fn((o) => o.events.selected({ id: 'c1', name: '阳光社区' }));
    page.onChooseOrg();
    page.onCategoryChange(ev({}, { value: '0' }));
    page.onInput(ev({ field: 'title' }, { value: '新书包' }));
    page.onInput(ev({ field: 'description' }, { value: '孩子上学需要' }));
    page.onInput(ev({ field: 'value' }, { value: '120' }));
    page.onPhotosChange(ev({}, { ids: ['6b1088b664e5829448991131'], busy: true }));
    await page.onSubmit();
    expect(wishesService.postWish).not.toHaveBeenCalled();
    expect(page.data.errors).toEqual({ photos: '照片还在上传，请稍候' });
    page.onPhotosChange(ev({}, { ids: ['6b1088b664e5829448991131', '6b1088b664e5829448991132'], busy: false }));
    wishesService.postWish.mockResolvedValue(wish({ status: 'submitted' }));
    wx.redirectTo = jest.fn();
    await page.onSubmit();
    expect(wishesService.postWish).toHaveBeenCalledWith({
      org_id: 'c1',
      category: '学习用品',
      title: '新书包',
      description: '孩子上学需要',
      value: 120,
      photos: ['6b1088b664e5829448991131', '6b1088b664e5829448991132']
    });
  });

  test('the claimant fulfils; the poster confirms with thanks', async () => {
    fakeApp({ id: 'm1', role: 'member' });
    wishesService.getWish.mockResolvedValue(wish({ status: 'claimed', actions: ['fulfil', 'release'] }));
    const page = createPage('pkg-wish/pages/detail/detail');
    await page.onLoad({ id: 'w1' });
    wishesService.fulfilWish.mockResolvedValue(wish({ status: 'fulfilled', actions: [] }));
    page.onFulfil(); // opens the form: a note and photos
    expect(page.data.fulfilling).toBe(true);
    await page.onFulfilSubmit();
    expect(wishesService.fulfilWish).not.toHaveBeenCalled();
    expect(page.data.fulfilError).toBe('请说明心愿是如何实现的');
    page.onFulfilNote(ev({}, { value: '书包已送到' }));
    page.onFulfilPhotos(ev({}, { ids: ['6b1088b664e5829448991131'], busy: true }));
    await page.onFulfilSubmit(); // a photo still uploading: wait
    expect(wishesService.fulfilWish).not.toHaveBeenCalled();
    expect(page.data.fulfilError).toBe('照片还在上传，请稍候');
    page.onFulfilPhotos(ev({}, { ids: ['6b1088b664e5829448991131', '6b1088b664e5829448991132'], busy: false }));
    await page.onFulfilSubmit();
    expect(wishesService.fulfilWish).toHaveBeenCalledWith('w1', { note: '书包已送到', photos: ['6b1088b664e5829448991131', '6b1088b664e5829448991132'] });
    expect(page.data.wish.status).toBe('fulfilled');
    expect(page.data.fulfilling).toBe(false);
    await page.onConfirm(); // not allowed for this caller: nothing sent
    expect(wishesService.confirmWish).not.toHaveBeenCalled();
  });
});

describe('我要建言', () => {
  test('opened by a 民意一码通 scene: submits bound to it, no org choice needed', async () => {
    fakeApp({ id: 'u1', role: 'resident' });
    const page = createPage('pkg-voice/pages/submit/submit');
    page.onLoad({ scene: encodeURIComponent('AbCdEfGhIjKlMnOp.qrStUvWx') });
    expect(page.data.scene).toBe('AbCdEfGhIjKlMnOp.qrStUvWx');
    await page.onSubmit();
    expect(Object.keys(page.data.errors).sort()).toEqual(['category', 'kind', 'text']);
    page.onKind(ev({ kind: 'complaint' }));
    page.onCategoryChange(ev({}, { value: '0' }));
    page.onInput(ev({}, { value: '楼道灯坏了' }));
    page.onAnonymous(ev({}, { value: true }));
    voicesService.submitVoice.mockResolvedValue(voice({ id: 'v9', status: 'received' }));
    wx.redirectTo = jest.fn();
    await page.onSubmit();
    expect(voicesService.submitVoice).toHaveBeenCalledWith({ kind: 'complaint', category: '环境卫生', text: '楼道灯坏了', anonymous: true, scene: 'AbCdEfGhIjKlMnOp.qrStUvWx' });
    expect(wx.redirectTo).toHaveBeenCalledWith({ url: '/pkg-voice/pages/detail/detail?id=v9' });
  });

  test('photos chosen on the form are sent as media ids, never while one uploads', async () => {
    fakeApp({ id: 'u1', role: 'resident' });
    const page = createPage('pkg-voice/pages/submit/submit');
    page.onLoad({});
    wx.navigateTo = jest.fn((o) => o.events.selected({ id: 'c1', name: '阳光社区' }));
    page.onChooseOrg();
    page.onKind(ev({ kind: 'suggestion' }));
    page.onCategoryChange(ev({}, { value: '0' }));
    page.onInput(ev({}, { value: '垃圾桶满了' }));
    page.onPhotosChange(ev({}, { ids: [], busy: true }));
    await page.onSubmit();
    expect(voicesService.submitVoice).not.toHaveBeenCalled();
    expect(page.data.errors).toEqual({ photos: '照片还在上传，请稍候' });
    page.onPhotosChange(ev({}, { ids: ['6b1088b664e5829448991133'], busy: false }));
    voicesService.submitVoice.mockResolvedValue(voice({ id: 'v8', status: 'received' }));
    wx.redirectTo = jest.fn();
    await page.onSubmit();
    expect(voicesService.submitVoice).toHaveBeenCalledWith({ kind: 'suggestion', category: '环境卫生', text: '垃圾桶满了', anonymous: false, photos: ['6b1088b664e5829448991133'], org_id: 'c1' });
  });

  test('a refused scene shows the server message next to the field', async () => {
    fakeApp({ id: 'u1', role: 'resident' });
    const page = createPage('pkg-voice/pages/submit/submit');
    page.onLoad({ scene: 'forged' });
    page.onKind(ev({ kind: 'request' }));
    page.onCategoryChange(ev({}, { value: '1' }));
    page.onInput(ev({}, { value: '电梯坏了' }));
    voicesService.submitVoice.mockRejectedValue(apiError(400, '二维码无效', { scene: '二维码无效' }));
    await page.onSubmit();
    expect(page.data.errors).toEqual({ scene: '二维码无效' });
  });

  test('my submissions list, rating 不满意 asks why, "still solved?" answered no', async () => {
    fakeApp({ id: 'u1', role: 'resident' });
    voicesService.listVoices.mockResolvedValue({ items: [voice()], next_offset: null });
    const mine = createPage('pkg-voice/pages/mine/mine');
    mine.onLoad();
    await flush();
    expect(voicesService.listVoices).toHaveBeenCalledWith({ scope: 'mine', offset: 0, limit: 20 });

    voicesService.getVoice.mockResolvedValue(voice());
    voicesService.getFollowup.mockResolvedValue({ id: 'f1', status: 'pending' });
    const page = createPage('pkg-voice/pages/detail/detail');
    await page.onLoad({ id: 'v1', followup: 'f1' });
    expect(page.data.followup.id).toBe('f1');
    wx.showModal = jest.fn((o) => o.success({ confirm: true, content: '灯还是不亮' }));
    voicesService.rateVoice.mockResolvedValue(voice({ status: 'accepted' }));
    await page.onRate(ev({ rating: '不满意' }));
    expect(voicesService.rateVoice).toHaveBeenCalledWith('v1', { rating: '不满意', comment: '灯还是不亮' });
    voicesService.answerFollowup.mockResolvedValue({ id: 'f1', status: 'answered', solved: false });
    await page.onFollowup(ev({ solved: 'no' }));
    expect(voicesService.answerFollowup).toHaveBeenCalledWith('f1', { solved: false });
  });

  test('staff inbox lists what waits in scope and accepts it', async () => {
    fakeApp({ id: 's1', role: 'secretary' });
    voicesService.listVoices.mockResolvedValue({ items: [voice({ status: 'received', actions: ['accept'] })], next_offset: null });
    const page = createPage('pkg-voice/pages/inbox/inbox');
    page.onLoad();
    await flush();
    expect(voicesService.listVoices).toHaveBeenCalledWith({ scope: 'scope', status: 'received', offset: 0, limit: 20 });
    voicesService.acceptVoice.mockResolvedValue(voice({ status: 'accepted' }));
    await page.onAccept(ev({ id: 'v1' }));
    expect(voicesService.acceptVoice).toHaveBeenCalledWith('v1');
    expect(page.data.list.items).toEqual([]);
  });

  test('a member handler sees what is assigned to them', async () => {
    fakeApp({ id: 'm1', role: 'member' });
    voicesService.listVoices.mockResolvedValue({ items: [], next_offset: null });
    const page = createPage('pkg-voice/pages/inbox/inbox');
    page.onLoad();
    await flush();
    expect(voicesService.listVoices).toHaveBeenCalledWith({ scope: 'assigned', status: 'accepted', offset: 0, limit: 20 });
  });
});
