/**
 * @jest-environment node
 *
 * The preview's WXSS conversion: rpx at a 375 px screen, each file's classes under the tag it is
 * rendered in (component style isolation), built-in tags as wx-*, the safe area as a variable.
 */
const { compileWxss, prefixSelector, rpx, pageCss } = require('../../tools/preview/css');
const path = require('path');

test('750 rpx is the 375 px screen; fractions and negatives too', () => {
  expect(rpx('width: 750rpx; margin: 0 -28rpx; border: 1rpx solid; top: 0.5rpx')).toBe('width: 375px; margin: 0 -14px; border: 0.5px solid; top: 0.25px');
});

test('classes take the prefix of their tag, also after a tag name; tags become wx-*; numbers stay', () => {
  expect(prefixSelector('button.btn, .a .b:last-child, view > text, .x::after', 'page')).toBe(
    'wx-button.page--btn, .page--a .page--b:last-child, wx-view > wx-text, .page--x::after'
  );
  expect(compileWxss('.a { opacity: 0.5; width: 20rpx }', 'oc')).toBe('.oc--a{ opacity: 0.5; width: 10px }');
});

test('keyframes stay whole, the safe area is a variable the frame sets', () => {
  const css = compileWxss('@keyframes spin { to { transform: rotate(360deg); } }\n.bar { padding-bottom: calc(20rpx + env(safe-area-inset-bottom)); }', 'page');
  expect(css).toContain('@keyframes spin{ to { transform: rotate(360deg); } }');
  expect(css).toContain('.page--bar{ padding-bottom: calc(10px + var(--pv-safe-bottom)); }');
});

test("a page's CSS: app.wxss under the page's prefix, each component under its own", () => {
  const css = pageCss(path.resolve(__dirname, '../../src'), 'pages/orders/orders', 'page');
  expect(css).toContain('.page--card{');
  expect(css).toContain('.order-card--oc{');
  expect(css).toContain('.status-tag--tag{');
  expect(css).not.toContain('.order-card--card{');
});
