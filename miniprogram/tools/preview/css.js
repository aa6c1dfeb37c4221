/**
 * WXSS → browser CSS for the preview, the way WeChat applies it:
 *  - rpx at a 375 px wide screen (750 rpx = 375 px; 1 rpx hairlines stay visible at 0.5 px);
 *  - component style isolation: every class selector of a file gets the prefix of the tag it is
 *    rendered under (miniprogram-simulate renders class="x" of component <order-card> as
 *    class="order-card--x"), so app.wxss reaches the page's own nodes and never a component's;
 *  - env(safe-area-inset-bottom) becomes a variable the frame sets (34 px on an iPhone X class
 *    screen without a tab bar, 0 above the native tab bar).
 */
const fs = require('fs');
const path = require('path');

function rpx(css) {
  return css.replace(/(-?\d*\.?\d+)rpx/g, (m, n) => {
    const px = (Number(n) * 375) / 750;
    return (Math.round(px * 100) / 100).toString() + 'px';
  });
}

function safeArea(css) {
  return css.replace(/(?:env|constant)\(\s*safe-area-inset-(top|bottom|left|right)\s*(?:,[^)]*)?\)/g, (m, side) => 'var(--pv-safe-' + side + ')');
}

/** Splits a stylesheet into top-level blocks: [{prelude, body}] (at-rules keep their whole body). */
function blocks(css) {
  const out = [];
  let i = 0;
  const text = css.replace(/\/\*[\s\S]*?\*\//g, '');
  while (i < text.length) {
    const open = text.indexOf('{', i);
    if (open < 0) break;
    const prelude = text.slice(i, open).trim();
    let depth = 1;
    let j = open + 1;
    while (j < text.length && depth > 0) {
      if (text[j] === '{') depth++;
      else if (text[j] === '}') depth--;
      j++;
    }
    out.push({ prelude, body: text.slice(open + 1, j - 1) });
    i = j;
  }
  return out;
}

function prefixSelector(selector, prefix) {
  return selector
    .split(',')
    .map((s) =>
      s
        .trim()
        // .class → .prefix--class (not inside numbers like 0.5)
        .replace(/(\d)?\.([-_a-zA-Z][-_a-zA-Z0-9]*)/g, (m, digit, cls) => (digit ? m : '.' + prefix + '--' + cls))
        // built-in tags are rendered as wx-<tag>
        .replace(/(^|[\s>+~(])(view|text|button|input|textarea|image|picker|scroll-view|navigator|label|icon|swiper|switch)(?=[\s.:[#>+~)]|$)/g, (m, before, tag) => before + 'wx-' + tag)
    )
    .join(', ');
}

/** One WXSS file compiled for the nodes rendered under `prefix`. */
function compileWxss(wxss, prefix) {
  const out = [];
  blocks(rpx(safeArea(wxss))).forEach((b) => {
    if (/^@(keyframes|-webkit-keyframes|font-face)/.test(b.prelude)) out.push(b.prelude + '{' + b.body + '}');
    else if (/^@media/.test(b.prelude)) out.push(b.prelude + '{' + compileWxss(b.body, prefix) + '}');
    else if (b.prelude.startsWith('@import')) return;
    else out.push(prefixSelector(b.prelude, prefix) + '{' + b.body + '}');
  });
  return out.join('\n');
}

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/**
 * The CSS of a page and every component it uses (recursively), each under its own prefix.
 * pageTag is the tag the page is rendered under; components get their usingComponents key.
 */
function pageCss(src, pageRel, pageTag) {
  const parts = [];
  const seen = new Set();
  const app = path.join(src, 'app.wxss');
  parts.push(compileWxss(fs.readFileSync(app, 'utf8'), pageTag));
  function visit(fileBase, prefix) {
    const key = fileBase + '|' + prefix;
    if (seen.has(key)) return;
    seen.add(key);
    const wxss = fileBase + '.wxss';
    if (fs.existsSync(wxss)) parts.push(compileWxss(fs.readFileSync(wxss, 'utf8'), prefix));
    const json = fs.existsSync(fileBase + '.json') ? readJson(fileBase + '.json') : {};
    Object.keys(json.usingComponents || {}).forEach((tag) => {
      const ref = json.usingComponents[tag];
      const target = ref.startsWith('/') ? path.join(src, ref) : path.resolve(path.dirname(fileBase), ref);
      visit(target, tag);
    });
  }
  visit(path.join(src, pageRel), pageTag);
  return parts.join('\n');
}

module.exports = { compileWxss, pageCss, rpx, safeArea, prefixSelector };
