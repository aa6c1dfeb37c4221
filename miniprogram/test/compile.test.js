/**
 * @jest-environment node
 *
 * WeChat's own compilers (wcc / wcsc from npm miniprogram-compiler) accept every WXML and WXSS file,
 * and refuse a broken one with its file and line.
 */
const fs = require('fs');
const os = require('os');
const path = require('path');
const { compileAll } = require('../tools/wxcompile');

const SRC = path.resolve(__dirname, '../src');

function count(ext) {
  const walk = (d) => fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [e.name]));
  return walk(SRC).filter((f) => f.endsWith(ext)).length;
}

function brokenCopy(rel, text) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tongxin-wx-'));
  fs.cpSync(SRC, dir, { recursive: true });
  fs.writeFileSync(path.join(dir, rel), text);
  return dir;
}

test('every WXML and WXSS file of the mini-program compiles with wcc and wcsc', () => {
  const res = compileAll(SRC);
  expect(res.errors).toEqual([]);
  expect(res.wxml).toBe(count('.wxml'));
  expect(res.wxss).toBe(count('.wxss'));
  expect(res.wxml).toBeGreaterThan(20);
});

test('an unclosed tag fails with file:line', () => {
  const dir = brokenCopy('pages/privacy/privacy.wxml', '<view class="container">\n  <view class="card"><text>未闭合</view>\n</view>\n');
  const res = compileAll(dir);
  expect(res.errors.join('\n')).toMatch(/pages\/privacy\/privacy\.wxml:2:\d+: expect end-tag `text`/);
});

test('a broken stylesheet fails with file:line', () => {
  const dir = brokenCopy('pages/privacy/privacy.wxss', '.p-title { font-size: 34rpx;\n.p-h { color: red; }\n');
  const res = compileAll(dir);
  expect(res.errors.join('\n')).toMatch(/pages\/privacy\/privacy\.wxss\(2:\d+\)/);
});
