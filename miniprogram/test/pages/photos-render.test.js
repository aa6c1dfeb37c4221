/**
 * @jest-environment node
 *
 * Photos on the wish, voice and activity pages, rendered by miniprogram-simulate (official wcc
 * templates) from the answers recorded from the demo backend, as the preview draws them.
 */
const fixtures = require('../../tools/preview/fixtures');
const { SCREENS, ROLES } = require('../../tools/preview/screens');

const store = fixtures.loadAll();

async function render(name, edit) {
  const screen = SCREENS.find((s) => s.name === name);
  const fx = JSON.parse(JSON.stringify(store[screen.role]));
  const full = Object.assign({}, screen, { openid: ROLES[screen.role].openid });
  if (typeof full.query === 'function') full.query = full.query(fixtures.orders(fx), fx);
  if (edit) edit(fx, full);
  const problems = [];
  jest.resetModules();
  const { renderScreen } = require('../../tools/preview/render');
  const out = await renderScreen(full, fixtures.replay(fx, full, problems));
  expect(problems).toEqual([]);
  return out;
}

/** the thumbnails drawn by photo-grid: the src of each image (the full image it opens in data-url) */
function thumbs(html) {
  return Array.from(html.matchAll(/<wx-image[^>]*class="[^"]*pg-photo[^"]*"[^>]*>/g)).map((m) => (/data-src="([^"]*)"/.exec(m[0]) || [])[1].replace(/&amp;/g, '&'));
}

describe('photos (miniprogram-simulate, recorded demo answers)', () => {
  test('心愿详情: the wish photo of the resident, as a signed thumbnail', async () => {
    const out = await render('resident-wish-detail');
    expect(out.data.wish.photos.length).toBeGreaterThan(0);
    const srcs = thumbs(out.html);
    expect(srcs).toHaveLength(out.data.wish.photos.length);
    srcs.forEach((src, i) => expect(src).toBe('http://127.0.0.1:8000' + out.data.wish.photos[i].thumb_url)); // the signed path made absolute
    expect(out.html.replace(/<[^>]+>/g, ' ')).toMatch(/谢谢党员同志/);
  });

  test('建言详情: a real voice with its reply and its photo (no 找不到该民意)', async () => {
    const out = await render('resident-voice-detail');
    const text = out.html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
    expect(text).not.toMatch(/找不到/);
    expect(text).toMatch(/王建国 答复 已联系相关部门处理/);
    expect(thumbs(out.html)).toHaveLength(out.data.voice.photos.length);
    expect(out.data.voice.photos.length).toBeGreaterThan(0);
  });

  test('工单详情 draws its photos with the same photo-grid', async () => {
    const out = await render('resident-order-in_service');
    expect(out.data.order.photos.length).toBeGreaterThan(0);
    expect(thumbs(out.html)).toEqual(out.data.order.photos.map((p) => 'http://127.0.0.1:8000' + p.thumb_url));
  });

  test('活动详情: the photos and minutes photos the API answers, none when it has none', async () => {
    let out = await render('secretary-activity-live');
    expect(thumbs(out.html)).toEqual([]);
    const photo = (id) => ({ id, url: '/api/v1/media/' + id + '?v=full', thumb_url: '/api/v1/media/' + id + '?v=thumb', width: 640, height: 480 });
    out = await render('secretary-activity-live', (fx) => {
      const key = Object.keys(fx.responses).find((k) => /^GET \/api\/v1\/activities\/[0-9a-f]{24}$/.test(k));
      Object.assign(fx.responses[key].body, { photos: [photo('a1')], minutes: '学习了新党章', minutes_photos: [photo('m1'), photo('m2')] });
    });
    expect(thumbs(out.html)).toEqual([
      'http://127.0.0.1:8000/api/v1/media/a1?v=thumb',
      'http://127.0.0.1:8000/api/v1/media/m1?v=thumb',
      'http://127.0.0.1:8000/api/v1/media/m2?v=thumb'
    ]);
    expect(out.html.replace(/<[^>]+>/g, ' ')).toMatch(/活动纪实\s+学习了新党章/);
  });
});
