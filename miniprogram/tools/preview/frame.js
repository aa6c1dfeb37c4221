/**
 * The phone around a rendered page: 375×812 (iPhone X class), status bar 44 px, navigation bar
 * 44 px with WeChat's capsule, the native tab bar (49 px + 34 px home-indicator area) on tab pages,
 * the safe area below other pages, and the toast the page asked for.
 */
const fs = require('fs');
const path = require('path');
const { SRC } = require('./render');
const { pageCss } = require('./css');

const W = 375;
const H = 812;
const STATUS = 44;
const NAV = 44;
const TAB = 49;
const SAFE = 34;

const app = JSON.parse(fs.readFileSync(path.join(SRC, 'app.json'), 'utf8'));

function esc(s) {
  return String(s === undefined || s === null ? '' : s)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

function dataUri(rel) {
  if (!rel) return '';
  const file = path.join(SRC, rel);
  if (!fs.existsSync(file)) return '';
  return 'data:image/png;base64,' + fs.readFileSync(file).toString('base64');
}

const tabPages = (app.tabBar && app.tabBar.list) || [];

function isTabPage(page) {
  return tabPages.some((t) => t.pagePath === page);
}

/** WeChat's built-in components, as the client draws them (the parts the pages rely on). */
const BUILTIN = `
html, body { margin: 0; padding: 0; }
body { -webkit-font-smoothing: antialiased; }
page { display: block; min-height: 100%; }
wx-view, wx-scroll-view, wx-picker, wx-navigator, wx-form, wx-label { display: block; }
wx-text { display: inline; white-space: pre-wrap; }
wx-scroll-view[scroll-x], wx-scroll-view { overflow: hidden; }
wx-button { position: relative; display: block; margin-left: auto; margin-right: auto; padding-left: 14px; padding-right: 14px;
  box-sizing: border-box; font-size: 18px; text-align: center; text-decoration: none; line-height: 2.55555556; border-radius: 5px;
  overflow: hidden; color: #000; background-color: #F8F8F8; cursor: pointer; }
wx-button::after { content: " "; width: 200%; height: 200%; position: absolute; top: 0; left: 0; border: 1px solid rgba(0,0,0,.2);
  transform: scale(.5); transform-origin: 0 0; box-sizing: border-box; border-radius: 10px; }
/* "style": "v2" (app.json): a button is 184 px wide and bold unless the page says otherwise */
wx-button:not([size=mini]) { width: 184px; margin-left: auto; margin-right: auto; }
wx-button { font-weight: 700; }
wx-button[disabled] { opacity: .6; }
wx-button[data-pv-loading]::before { content: ""; display: inline-block; width: 1em; height: 1em; margin-right: .4em; vertical-align: -0.15em;
  border: 2px solid currentColor; border-right-color: transparent; border-radius: 50%; }
wx-input { display: block; height: 1.4rem; min-height: 1.4rem; line-height: 1.4rem; overflow: hidden; text-overflow: clip; white-space: nowrap; }
wx-textarea { display: block; width: 300px; height: 150px; overflow: hidden; white-space: pre-wrap; }
.pv-placeholder { color: #808080; }
/* a switch draws its 52×32 track in the middle of its box (a page may make the box taller to tap) */
wx-switch { position: relative; display: inline-block; flex-shrink: 0; width: 52px; height: 32px; vertical-align: middle; }
wx-switch::before { content: ""; position: absolute; left: 0; top: 50%; margin-top: -16px; width: 52px; height: 32px; border-radius: 16px; background: #E5E5E5; }
wx-switch[data-pv-checked]::before { background: var(--pv-switch, #04BE02); }
wx-switch::after { content: ""; position: absolute; left: 2px; top: 50%; margin-top: -14px; width: 28px; height: 28px; border-radius: 50%; background: #FFF; box-shadow: 0 1px 3px rgba(0,0,0,.3); }
wx-switch[data-pv-checked]::after { left: 22px; }
wx-image { display: inline-block; width: 320px; height: 240px; overflow: hidden; background: #EEE; }
`;

function chrome(screen, ui) {
  const json = JSON.parse(fs.readFileSync(path.join(SRC, screen.page + '.json'), 'utf8'));
  const win = app.window || {};
  const navBg = json.navigationBarBackgroundColor || win.navigationBarBackgroundColor || '#FFFFFF';
  const navFg = (json.navigationBarTextStyle || win.navigationBarTextStyle) === 'white' ? '#FFFFFF' : '#000000';
  const title = ui.title || json.navigationBarTitleText || win.navigationBarTitleText || '';
  const pageBg = json.backgroundColor || win.backgroundColor || '#FFFFFF';
  return { navBg, navFg, title, pageBg, tab: isTabPage(screen.page) };
}

function tabBarHtml(screen, ui) {
  const tb = app.tabBar;
  const items = tb.list
    .map((t, i) => {
      const on = t.pagePath === screen.page;
      const icon = dataUri(on ? t.selectedIconPath : t.iconPath);
      const badge = ui.badge && ui.badge.index === i && ui.badge.text ? `<span class="pv-badge">${esc(ui.badge.text)}</span>` : '';
      return `<div class="pv-tab"><div class="pv-tab-icon">${icon ? `<img src="${icon}">` : ''}${badge}</div><div style="color:${on ? tb.selectedColor : tb.color}">${esc(t.text)}</div></div>`;
    })
    .join('');
  return `<div class="pv-tabbar" style="background:${tb.backgroundColor || '#fff'}">${items}</div>`;
}

/** The whole frame as one HTML document; the page itself is in <iframe id="pv-page"> (its own viewport). */
function frameHtml(screen, rendered) {
  const c = chrome(screen, rendered.ui);
  const pageHeight = H - STATUS - NAV - (c.tab ? TAB + SAFE : 0);
  const safe = c.tab ? 0 : SAFE;
  const css = pageCss(SRC, screen.page, 'page');
  const doc = `<!doctype html><html><head><meta charset="utf-8"><style>:root{--pv-safe-bottom:${safe}px;--pv-safe-top:0px;--pv-safe-left:0px;--pv-safe-right:0px}
html{background:${c.pageBg}}${BUILTIN}\n${css}</style></head><body>${rendered.html}</body></html>`;
  const toast = rendered.ui.toast
    ? `<div class="pv-toast${rendered.ui.toast.icon === 'none' ? '' : ' pv-toast-icon'}">${rendered.ui.toast.icon === 'none' ? '' : '<div class="pv-toast-mark">✓</div>'}${esc(rendered.ui.toast.title)}</div>`
    : '';
  return `<!doctype html><html><head><meta charset="utf-8"><style>
html,body{margin:0;background:#fff;font-family:-apple-system,"PingFang SC","Noto Sans CJK SC","Noto Sans SC",sans-serif}
.pv-phone{position:relative;width:${W}px;height:${H}px;overflow:hidden;background:${c.pageBg}}
.pv-status{position:absolute;top:0;left:0;right:0;height:${STATUS}px;background:${c.navBg};color:${c.navFg};font-size:15px;font-weight:600;display:flex;align-items:center;justify-content:space-between;padding:0 26px 0 32px;box-sizing:border-box}
.pv-bat{display:inline-block;width:24px;height:11px;border:1px solid ${c.navFg};border-radius:3px;position:relative;opacity:.9}
.pv-bat::after{content:"";position:absolute;left:1px;top:1px;bottom:1px;width:17px;background:${c.navFg};border-radius:1px}
.pv-nav{position:absolute;top:${STATUS}px;left:0;right:0;height:${NAV}px;background:${c.navBg};color:${c.navFg};display:flex;align-items:center;justify-content:center;font-size:17px;font-weight:600}
.pv-back{position:absolute;left:10px;top:0;height:${NAV}px;line-height:${NAV}px;font-size:30px;font-weight:300}
.pv-title{max-width:190px;overflow:hidden;white-space:nowrap;text-overflow:ellipsis}
.pv-capsule{position:absolute;right:7px;top:6px;width:87px;height:32px;box-sizing:border-box;border-radius:16px;border:0.5px solid rgba(255,255,255,.35);background:rgba(0,0,0,.15);display:flex;align-items:center}
.pv-capsule span{flex:1;text-align:center;font-size:13px;letter-spacing:1px}
.pv-capsule i{width:0.5px;height:18px;background:rgba(255,255,255,.4)}
#pv-page{position:absolute;top:${STATUS + NAV}px;left:0;width:${W}px;height:${pageHeight}px;border:0;display:block}
.pv-tabbar{position:absolute;left:0;right:0;bottom:0;height:${TAB + SAFE}px;box-sizing:border-box;padding-bottom:${SAFE}px;display:flex;border-top:0.5px solid rgba(0,0,0,.12)}
.pv-tab{flex:1;display:flex;flex-direction:column;align-items:center;justify-content:center;font-size:10px}
.pv-tab-icon{position:relative;width:24px;height:24px;margin-bottom:2px}
.pv-tab-icon img{width:24px;height:24px;display:block}
.pv-badge{position:absolute;left:16px;top:-4px;min-width:16px;height:16px;padding:0 4px;box-sizing:border-box;border-radius:8px;background:#FA5151;color:#fff;font-size:10px;line-height:16px;text-align:center}
.pv-home{position:absolute;left:50%;bottom:8px;width:134px;height:5px;margin-left:-67px;border-radius:3px;background:#000;z-index:50}
.pv-toast{position:absolute;left:50%;top:45%;transform:translate(-50%,-50%);width:max-content;max-width:260px;box-sizing:border-box;padding:10px 16px;border-radius:8px;background:rgba(17,17,17,.88);color:#fff;font-size:14px;text-align:center;z-index:60}
.pv-toast-icon{width:120px;padding:16px 10px}
.pv-toast-mark{font-size:34px;line-height:40px}
</style></head><body><div class="pv-phone">
<div class="pv-status"><span>9:41</span><span><span class="pv-bat"></span></span></div>
<div class="pv-nav">${c.tab ? '' : '<span class="pv-back">‹</span>'}<span class="pv-title">${esc(c.title)}</span><div class="pv-capsule"><span>•••</span><i></i><span>◎</span></div></div>
<iframe id="pv-page" srcdoc="${esc(doc)}"></iframe>
${c.tab ? tabBarHtml(screen, rendered.ui) : ''}
${toast}
<div class="pv-home"></div>
</div></body></html>`;
}

function chromeTexts(screen, rendered) {
  const c = chrome(screen, rendered.ui);
  const out = [c.title];
  if (c.tab) app.tabBar.list.forEach((t) => out.push(t.text));
  if (rendered.ui.toast) out.push(rendered.ui.toast.title);
  return out;
}

module.exports = { frameHtml, chromeTexts, isTabPage, W, H };
