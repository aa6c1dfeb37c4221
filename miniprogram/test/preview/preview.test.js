/**
 * @jest-environment node
 *
 * The preview (tools/preview): every page of app.json and its key states rendered from the recorded
 * fixtures, framed at 375×812 and screenshotted in Chromium, must pass the layout checks; and a
 * deliberately broken page must fail each of them. Pictures: test-artifacts/miniprogram/.
 */
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const ROOT = path.resolve(__dirname, '../..');
const PREVIEW = path.join(ROOT, 'tools/preview/index.js');
const OUT = path.resolve(ROOT, '../test-artifacts/miniprogram');
const app = JSON.parse(fs.readFileSync(path.join(ROOT, 'src/app.json'), 'utf8'));
const { FONT_MAX } = require('../../tools/preview/screens');
const allPages = app.pages.concat(...app.subPackages.map((p) => p.pages.map((x) => p.root + '/' + x)));

function preview(args) {
  const res = spawnSync(process.execPath, [PREVIEW].concat(args || []), { cwd: ROOT, encoding: 'utf8', timeout: 240000 });
  if (res.error) throw res.error;
  return res;
}

describe('preview of every screen', () => {
  let run;
  let report;

  beforeAll(() => {
    // never read the figures of an earlier run
    fs.rmSync(path.join(OUT, 'report.json'), { force: true });
    run = preview([]);
    if (!fs.existsSync(path.join(OUT, 'report.json'))) {
      throw new Error('the preview wrote no report (status ' + run.status + '):\n' + run.stdout.slice(-2000) + run.stderr.slice(-4000));
    }
    report = JSON.parse(fs.readFileSync(path.join(OUT, 'report.json'), 'utf8'));
  }, 240000);

  test('no screen has a layout problem', () => {
    const problems = report.results.filter((r) => r.problems.length).map((r) => r.name + ': ' + r.problems.join(' | '));
    expect(problems).toEqual([]);
    expect({ status: run.status, stderr: run.stderr.slice(-2000) }).toEqual({ status: 0, stderr: '' });
  });

  test('every page is rendered, in each role and order status, empty, logged out and failing', () => {
    expect(new Set(report.results.map((r) => r.page))).toEqual(new Set(allPages));
    const names = report.results.map((r) => r.name);
    ['submitted', 'dispatched', 'accepted', 'in_service', 'completed', 'closed', 'cancelled'].forEach((s) =>
      expect(names.some((n) => n.endsWith('order-' + s))).toBe(true)
    );
    ['resident', 'member', 'secretary', 'admin', 'newcomer', 'loggedout', 'error'].forEach((who) => expect(names.some((n) => n.startsWith(who + '-'))).toBe(true));
    expect(names.some((n) => /empty/.test(n))).toBe(true);
  });

  test('every page a resident uses is shown in care mode too, its text scaled up', () => {
    const residentPages = new Set(report.results.filter((r) => /^resident\d*$/.test(r.role) && !r.care).map((r) => r.page));
    const care = report.results.filter((r) => r.care && !r.fontScale);
    expect(new Set(care.map((r) => r.page))).toEqual(residentPages);
    const standard = report.results.find((r) => r.name === 'resident-index').pageFontPx;
    expect(standard).toBe(14); // 28rpx at 375 px
    care.forEach((r) => {
      expect(r.files[0]).toBe(r.name + '.png');
      expect(r.name).toMatch(/-care$/);
      expect(r.pageFontPx).toBeGreaterThanOrEqual(standard * 1.3 - 0.01);
    });
    report.results.filter((r) => !r.care).forEach((r) => expect(r.pageFontPx).toBe(standard));
  });

  test('every care-mode screen again at the largest phone font (text ×' + FONT_MAX + ' on top), passing the same checks', () => {
    expect(FONT_MAX).toBeGreaterThanOrEqual(1.4);
    const byName = new Map(report.results.map((r) => [r.name, r]));
    const care = report.results.filter((r) => r.care && !r.fontScale);
    expect(care.length).toBeGreaterThan(0);
    const standard = byName.get('resident-index').pageFontPx;
    care.forEach((r) => {
      const max = byName.get(r.name + '-max');
      // its picture, its zoom, no layout problem
      expect(max && { page: max.page, file: max.files[0], fontScale: max.fontScale, problems: max.problems }).toEqual({
        page: r.page,
        file: r.name + '-max.png',
        fontScale: FONT_MAX,
        problems: []
      });
      expect(fs.existsSync(path.join(OUT, r.name + '-max.png'))).toBe(true);
      expect(max.pageFontPx).toBeCloseTo(standard * 1.3 * FONT_MAX, 1);
    });
    // and nothing else is zoomed
    report.results.filter((r) => r.fontScale).forEach((r) => expect(byName.get(r.name.replace(/-max$/, ''))).toBeDefined());
  });

  test('each screen has its picture, and the contact sheet links them all', () => {
    const sheet = fs.readFileSync(path.join(OUT, 'index.html'), 'utf8');
    report.results.forEach((r) => {
      expect(r.files.length).toBeGreaterThan(0);
      r.files.forEach((f) => {
        const png = fs.readFileSync(path.join(OUT, f));
        expect(png.slice(1, 4).toString()).toBe('PNG');
        // 375×812 at 2× (width and height from the IHDR chunk)
        expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([750, 1624]);
        expect(sheet).toContain('src="' + f + '"');
      });
    });
  });
});

describe('the layout checks fail a deliberately broken page', () => {
  test('test/preview/broken-app: one of each mistake, each one reported', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'tongxin-broken-'));
    const res = preview(['--src', 'test/preview/broken-app', '--screens', 'test/preview/broken-screens.js', '--out', out]);
    expect(res.status).toBe(1);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
    const problems = report.results[0].problems.join('\n');
    [
      /raw id visible: .*6a0f1c2b3d4e5f60718293a4/,
      /ISO timestamp visible: .*2025-03-01T08:30:00Z/,
      /undefined\/null\/NaN visible: .*联系人 undefined/,
      /English status or role visible: .*completed/,
      /hidden under the bottom bar by \d+px: "最后一行被底部按钮挡住"/,
      /text overflows its card: "阳光社区第一党支部阳光社区/,
      /one character alone on the last line: "阳光社区第一党支部"/,
      /tap target \d+×\d+px < 44px: "删"/,
      /number or word split across lines: /,
      /page wider than the screen/
    ].forEach((re) => expect(problems).toMatch(re));
    // a fixed-size text box passes at the standard font and is caught at the largest one
    const tight = report.results.filter((r) => r.page === 'pages/tight/tight').map((r) => [r.name, r.problems.join(' | ')]);
    expect(tight).toEqual([
      ['tight', ''],
      ['tight-max', expect.stringMatching(/^text cut off: "阳光社区第一党支部"$/)]
    ]);
  }, 120000);
});
