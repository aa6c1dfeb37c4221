#!/usr/bin/env node
/**
 * Draws the tab-bar icons (src/images/tab/*.png, 81×81 as WeChat recommends) from the simple SVGs
 * below, in the tab bar's two colours, with Debian's Chromium. Run after changing a drawing:
 *   node tools/tab-icons.js
 */
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const OUT = path.resolve(__dirname, '../src/images/tab');
const app = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../src/app.json'), 'utf8'));
const COLORS = { normal: app.tabBar.color, active: app.tabBar.selectedColor };

// 24×24 drawings, stroked with the tab colour (the active one filled a little)
const ICONS = {
  home: (c, on) => `<path d="M3.5 11 12 4l8.5 7" fill="none" stroke="${c}" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round"/>
    <path d="M5.5 9.5V20h13V9.5" fill="${on ? c : 'none'}" fill-opacity="${on ? 0.15 : 0}" stroke="${c}" stroke-width="1.8" stroke-linejoin="round"/>
    <path d="M10 20v-5.5h4V20" fill="none" stroke="${c}" stroke-width="1.8" stroke-linejoin="round"/>`,
  orders: (c, on) => `<rect x="5" y="4" width="14" height="17" rx="2" fill="${on ? c : 'none'}" fill-opacity="${on ? 0.15 : 0}" stroke="${c}" stroke-width="1.8"/>
    <path d="M9 3h6v3H9z" fill="#fff" stroke="${c}" stroke-width="1.6" stroke-linejoin="round"/>
    <path d="M8.5 11h7M8.5 14.5h7M8.5 18h4" stroke="${c}" stroke-width="1.8" stroke-linecap="round"/>`,
  me: (c, on) => `<circle cx="12" cy="8.5" r="4" fill="${on ? c : 'none'}" fill-opacity="${on ? 0.15 : 0}" stroke="${c}" stroke-width="1.8"/>
    <path d="M4.5 20.5c.8-4 3.8-6 7.5-6s6.7 2 7.5 6" fill="none" stroke="${c}" stroke-width="1.8" stroke-linecap="round"/>`
};

async function main() {
  fs.mkdirSync(OUT, { recursive: true });
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', args: ['--no-sandbox'] });
  const page = await browser.newPage({ viewport: { width: 81, height: 81 } });
  for (const name of Object.keys(ICONS)) {
    for (const state of ['normal', 'active']) {
      const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="81" height="81">${ICONS[name](COLORS[state], state === 'active')}</svg>`;
      await page.setContent(`<html><body style="margin:0;background:transparent">${svg}</body></html>`);
      const file = path.join(OUT, name + (state === 'active' ? '-active' : '') + '.png');
      await page.screenshot({ path: file, omitBackground: true, clip: { x: 0, y: 0, width: 81, height: 81 } });
      console.log(path.relative(process.cwd(), file), fs.statSync(file).size, 'bytes');
    }
  }
  await browser.close();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
