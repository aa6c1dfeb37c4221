const { uploadImage, mediaUrl } = require('../../src/utils/upload');
const { renderComponent, simulate } = require('../helpers/component');

/** Scripts wx.uploadFile: each entry is {status, body, progress?} or 'fail'. Records every call. */
function scriptUploads(...responses) {
  const calls = [];
  wx.uploadFile = jest.fn((opts) => {
    calls.push(opts);
    const r = responses.shift();
    if (!r) throw new Error('unexpected upload');
    const listeners = [];
    setTimeout(() => {
      (r.progress || []).forEach((p) => listeners.forEach((fn) => fn({ progress: p })));
      if (r === 'fail') opts.fail({ errMsg: 'uploadFile:fail timeout' });
      else opts.success({ statusCode: r.status, data: JSON.stringify(r.body) });
    }, 0);
    return { onProgressUpdate: (fn) => listeners.push(fn), abort: jest.fn() };
  });
  return calls;
}

const PHOTO = { id: '665f00000000000000000001', url: '/media/665f/full?e=1&a=s&s=x', thumb_url: '/media/665f/thumb?e=1&a=s&s=x', width: 800, height: 600, status: 'checking' };

beforeEach(() => {
  wx.setStorageSync('tx_token', { token: 'tok-1', expires_at: '2099-01-01T00:00:00Z' });
});

describe('utils/upload', () => {
  test('posts the file as multipart field "file" with the token, reports progress, answers absolute URLs', async () => {
    const calls = scriptUploads({ status: 201, body: PHOTO, progress: [30, 80] });
    const seen = [];
    const photo = await uploadImage('wxfile://tmp/a.jpg', { onProgress: (p) => seen.push(p) });
    expect(calls[0].url).toBe('http://127.0.0.1:8000/api/v1/media');
    expect(calls[0].name).toBe('file');
    expect(calls[0].filePath).toBe('wxfile://tmp/a.jpg');
    expect(calls[0].header.Authorization).toBe('Bearer tok-1');
    expect(seen).toEqual([0, 30, 80, 100]);
    expect(photo.id).toBe(PHOTO.id);
    expect(photo.thumb_url).toBe('http://127.0.0.1:8000' + PHOTO.thumb_url);
    expect(mediaUrl('https://cdn.example/x.jpg')).toBe('https://cdn.example/x.jpg');
  });

  test('a network failure and a 503 are retried, then it succeeds', async () => {
    const calls = scriptUploads('fail', { status: 503, body: {} }, { status: 201, body: PHOTO });
    const photo = await uploadImage('wxfile://tmp/a.jpg', { retryDelayMs: 1 });
    expect(calls).toHaveLength(3);
    expect(photo.id).toBe(PHOTO.id);
  });

  test('gives up after the retries with the network message', async () => {
    scriptUploads('fail', 'fail');
    await expect(uploadImage('wxfile://tmp/a.jpg', { retries: 1, retryDelayMs: 1 })).rejects.toMatchObject({ status: 0, message: '网络不可用，请稍后重试' });
  });

  test('a refused image is not retried and carries the server message', async () => {
    const calls = scriptUploads({ status: 400, body: { error: { code: 'image_type_not_allowed', message: '只支持 JPG、PNG、WebP 格式的图片', fields: { file: '只支持 JPG、PNG、WebP 格式的图片' } } } });
    await expect(uploadImage('wxfile://tmp/a.gif', { retryDelayMs: 1 })).rejects.toMatchObject({ status: 400, code: 'image_type_not_allowed', message: '只支持 JPG、PNG、WebP 格式的图片' });
    expect(calls).toHaveLength(1);
  });
});

describe('photo-uploader', () => {
  test('uploads what is chosen with progress, offers retry on failure, emits the ids', async () => {
    scriptUploads({ status: 201, body: PHOTO }, 'fail', 'fail', 'fail', { status: 201, body: Object.assign({}, PHOTO, { id: 'id-2' }) });
    wx.chooseMedia = jest.fn((o) => o.success({ tempFiles: [{ tempFilePath: 'wxfile://a.jpg' }, { tempFilePath: 'wxfile://b.jpg' }] }));
    const comp = renderComponent('photo-uploader', { max: 3 });
    const events = [];
    comp.addEventListener('change', (e) => events.push(e.detail));
    comp.instance.onChoose();
    await simulate.sleep(0);
    expect(events[0].busy).toBe(true);
    // the second upload fails three times (two retries with backoff): wait for them
    await simulate.sleep(3500);
    const items = comp.instance.data.items;
    expect(items.map((i) => i.status)).toEqual(['done', 'failed']);
    expect(comp.querySelector('.pu-failed').dom.textContent).toContain('重试');
    expect(events[events.length - 1]).toEqual({ ids: [PHOTO.id], busy: false });
    comp.instance.onRetry({ currentTarget: { dataset: { key: items[1].key } } });
    await simulate.sleep(10);
    expect(events[events.length - 1]).toEqual({ ids: [PHOTO.id, 'id-2'], busy: false });
    expect(comp.querySelectorAll('.pu-add')).toHaveLength(1); // 2 of 3
  }, 10000);

  test('a refused image shows the reason and is not sent as an id', async () => {
    scriptUploads({ status: 413, body: { error: { code: 'image_too_large', message: '图片不能超过 5 MB' } } });
    wx.chooseMedia = jest.fn((o) => o.success({ tempFiles: [{ tempFilePath: 'wxfile://big.jpg' }] }));
    const comp = renderComponent('photo-uploader', { max: 9 });
    const events = [];
    comp.addEventListener('change', (e) => events.push(e.detail));
    comp.instance.onChoose();
    await simulate.sleep(10);
    expect(comp.querySelector('.pu-refused').dom.textContent).toBe('图片不能超过 5 MB');
    expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: '图片不能超过 5 MB' }));
    expect(events[events.length - 1]).toEqual({ ids: [], busy: false });
  });
});
