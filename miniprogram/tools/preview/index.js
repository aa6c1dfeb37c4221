#!/usr/bin/env node
/**
 * `npm run preview`: renders every screen (tools/preview/screens.js) with the pages' own code,
 * frames it at 375×812 and screenshots it in headless Chromium (Debian's /usr/bin/chromium, never a
 * downloaded browser), runs the layout checks, and writes
 * test-artifacts/miniprogram/<screen>.png (+ <screen>-end.png scrolled to the end when the page is
 * taller than the screen; <screen>-care.png: a resident page in 关怀模式;
 * <screen>-care-max.png: the same at the phone's largest font, a text-only zoom on top), index.html (contact sheet) and report.json.
 *
 *   node tools/preview                 replay the recorded fixtures (test/fixtures/api)
 *   node tools/preview --only a,b      just these screens
 *   node tools/preview --record URL    run against the demo backend at URL and save what it answers
 *   node tools/preview --src DIR --screens FILE --out DIR   another mini-program (used by the tests)
 * Exit status 1 when a screen has a problem.
 */
// the demo's people live in China: times are shown in Beijing time wherever the preview runs
process.env.TZ = 'Asia/Shanghai';
const fs = require('fs');
const path = require('path');

const ARGS = process.argv.slice(2);
function arg(name) {
  const i = ARGS.indexOf(name);
  return i >= 0 ? ARGS[i + 1] : undefined;
}
// --src: another mini-program root (read by render.js when it loads)
if (require.main === module && arg('--src')) process.env.PREVIEW_SRC = path.resolve(arg('--src'));

const { renderScreen } = require('./render');
const fixtures = require('./fixtures');
const { frameHtml, chromeTexts, W, H } = require('./frame');
const { layoutChecks } = require('./checks');
const screensModule = require.main === module && arg('--screens') ? require(path.resolve(arg('--screens'))) : require('./screens');
const { SCREENS, ROLES } = screensModule;

const ROOT = path.resolve(__dirname, '../..');
const DEFAULT_OUT = path.resolve(ROOT, '../test-artifacts/miniprogram');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

function esc(s) {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

async function launch() {
  const { chromium } = require('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--font-render-hinting=none'] });
}

/** Puts a framed screen in the browser page; returns the page's own frame. */
async function show(page, html) {
  await page.setContent(html, { waitUntil: 'load' });
  const handle = await page.$('#pv-page');
  const frame = await handle.contentFrame();
  await frame.waitForLoadState('load');
  await frame.evaluate(() => document.fonts && document.fonts.ready);
  return frame;
}

/**
 * The phone's font setting, emulated as a text-only zoom (what Android's WebView textZoom does with
 * WeChat's 字体大小): every element's computed font size × scale, boxes and rpx lengths unchanged.
 * Runs in the page's frame (serialised by Playwright: nothing from this module's scope).
 */
function zoomText(scale) {
  const els = [document.documentElement].concat(Array.from(document.querySelectorAll('*')));
  // read every size first, then write: a child's size is its own computed size × scale, never compounded
  const sizes = els.map((el) => parseFloat(getComputedStyle(el).fontSize));
  els.forEach((el, i) => {
    if (sizes[i] > 0) el.style.setProperty('font-size', (sizes[i] * scale).toFixed(2) + 'px', 'important');
  });
  return els.length;
}

/** Shows one framed screen, runs the layout checks in it and takes its picture(s). */
async function shoot(page, html, chromeTextList, result, outDir) {
  const frame = await show(page, html);
  if (result.fontScale) {
    await frame.evaluate(zoomText, result.fontScale);
    await frame.evaluate(() => document.fonts && document.fonts.ready);
  }
  const found = await frame.evaluate(layoutChecks, { chromeTexts: chromeTextList, minTap: 44 });
  result.problems.push(...found);
  // the page's base text size (care mode scales every size by --care-scale)
  result.pageFontPx = await frame.evaluate(() => {
    const p = document.querySelector('page');
    return p ? parseFloat(getComputedStyle(p).fontSize) : 0;
  });
  const name = result.name + '.png';
  await page.screenshot({ path: path.join(outDir, name), clip: { x: 0, y: 0, width: W, height: H } });
  result.files.push(name);
  const scrolls = await frame.evaluate(() => {
    const max = document.documentElement.scrollHeight - window.innerHeight;
    window.scrollTo(0, max);
    return max > 1;
  });
  if (scrolls) {
    const end = result.name + '-end.png';
    await page.screenshot({ path: path.join(outDir, end), clip: { x: 0, y: 0, width: W, height: H } });
    result.files.push(end);
  }
}

/**
 * Renders, screenshots and checks `screens`. opts: {outDir, record (backend URL), fixtures
 * ({role: fx}), browser, render (screen → rendered, for tests), keep (leave other pictures)}. Returns [{name, title, problems, files}].
 */
async function run(screens, opts) {
  const o = opts || {};
  const outDir = o.outDir || DEFAULT_OUT;
  fs.mkdirSync(outDir, { recursive: true });
  // a full run starts from an empty folder: no picture of a screen that no longer exists
  if (!o.keep) fs.readdirSync(outDir).filter((f) => f.endsWith('.png')).forEach((f) => fs.unlinkSync(path.join(outDir, f)));
  const store = o.fixtures || (o.record ? {} : o.noFixtures ? {} : fixtures.loadAll());
  const browser = o.browser || (await launch());
  const context = await browser.newContext({ viewport: { width: W, height: H }, deviceScaleFactor: 2 });
  const page = await context.newPage();
  const results = [];
  // Chromium shoots one screen while Node renders the next (two processes, two cores)
  let shooting = Promise.resolve();
  try {
    for (const screen of screens) {
      const problems = [];
      const role = ROLES[screen.role] || { openid: screen.openid || 'preview-' + screen.role };
      const fx = store[screen.role] || (store[screen.role] = { role: screen.role, openid: role.openid, responses: {} });
      const full = Object.assign({}, screen, { openid: role.openid });
      let out = null;
      try {
        if (typeof full.query === 'function') full.query = full.query(fixtures.orders(fx), fx);
        const transport = o.record ? fixtures.record(fx, o.record, full) : fixtures.replay(fx, full, problems);
        out = o.render ? await o.render(full) : await renderScreen(full, transport);
      } catch (e) {
        problems.push('render failed: ' + ((e && e.stack) || e).toString().split('\n').slice(0, 3).join(' | '));
      }
      const html = out ? frameHtml(full, out) : null;
      const texts = out ? chromeTexts(full, out) : [];
      const result = { name: full.name, title: full.title || full.name, role: full.role, page: full.page, care: !!full.care, fontScale: full.fontScale || 0, problems, files: [] };
      results.push(result);
      await shooting;
      shooting = html ? shoot(page, html, texts, result, outDir) : Promise.resolve();
    }
    await shooting;
  } finally {
    await context.close();
    if (!o.browser) await browser.close();
  }
  if (o.record) Object.values(store).forEach((fx) => fixtures.save(fx));
  writeSheet(outDir, results);
  return results;
}

function writeSheet(outDir, results) {
  const bad = results.filter((r) => r.problems.length);
  const cards = results
    .map((r) => {
      const roleText = (ROLES[r.role] && ROLES[r.role].text) || r.role;
      const imgs = r.files.map((f) => `<a href="${esc(f)}"><img src="${esc(f)}" loading="lazy" alt="${esc(f)}"></a>`).join('');
      const probs = r.problems.length ? `<ul class="bad">${r.problems.map((p) => `<li>${esc(p)}</li>`).join('')}</ul>` : '';
      return `<figure id="${esc(r.name)}"><figcaption><b>${esc(r.title)}</b><br><span>${esc(roleText)} · ${esc(r.page)}</span><br><code>${esc(r.name)}.png</code></figcaption><div class="shots">${imgs}</div>${probs}</figure>`;
    })
    .join('\n');
  const pages = new Set(results.map((r) => r.page)).size;
  const shots = results.reduce((n, r) => n + r.files.length, 0);
  const html = `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>同心小程序 · 页面预览</title><style>
body{font-family:-apple-system,"PingFang SC","Noto Sans CJK SC",sans-serif;margin:24px;background:#f0f0f2;color:#222}
h1{font-size:20px}.sum{color:#555}.sheet{display:flex;flex-wrap:wrap;gap:20px}
figure{margin:0;background:#fff;border-radius:8px;padding:10px;box-shadow:0 1px 4px rgba(0,0,0,.08)}
figcaption{font-size:13px;margin-bottom:8px}figcaption span{color:#777}code{color:#999;font-size:11px}
.shots{display:flex;gap:8px}.shots img{width:188px;border:1px solid #ddd;border-radius:6px}
.bad{color:#c8161d;font-size:12px;max-width:390px;padding-left:16px}
</style></head><body><h1>同心小程序 · 页面预览（375×812）</h1>
<p class="sum">${pages} 个页面 · ${results.length} 个状态 · ${shots} 张截图 · ${bad.length ? `<b style="color:#c8161d">${bad.length} 个状态有版式问题</b>` : '版式检查全部通过'}</p>
<div class="sheet">${cards}</div></body></html>`;
  fs.writeFileSync(path.join(outDir, 'index.html'), html);
  fs.writeFileSync(path.join(outDir, 'report.json'), JSON.stringify({ pages, screens: results.length, screenshots: shots, results }, null, 1));
}

async function main() {
  const opt = arg;
  const only = opt('--only');
  const screens = only ? SCREENS.filter((s) => only.split(',').indexOf(s.name) >= 0) : SCREENS;
  const started = Date.now();
  const results = await run(screens, { record: opt('--record'), outDir: opt('--out'), noFixtures: !!opt('--src'), keep: !!only });
  const bad = results.filter((r) => r.problems.length);
  bad.forEach((r) => {
    console.log('✗ ' + r.name);
    r.problems.forEach((p) => console.log('    ' + p));
  });
  const shots = results.reduce((n, r) => n + r.files.length, 0);
  console.log(`${results.length} screens, ${shots} screenshots, ${bad.length} with problems, ${((Date.now() - started) / 1000).toFixed(1)} s → ${opt('--out') || DEFAULT_OUT}`);
  process.exit(bad.length ? 1 : 0);
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(2);
  });
}

module.exports = { run, launch, show, zoomText, DEFAULT_OUT };
