#!/usr/bin/env node
/**
 * `npm run compile`: every WXML and WXSS file through WeChat's own compilers, wcc and wcsc (the
 * Linux builds shipped in npm `miniprogram-compiler`), so that a template or stylesheet WeChat
 * would refuse fails here with file:line, even where miniprogram-simulate would be lenient.
 *   node tools/wxcompile.js [root]      (default: src/)
 */
const fs = require('fs');
const path = require('path');
const vm = require('vm');
const wcc = require('miniprogram-compiler/src/wcc');
const wcsc = require('miniprogram-compiler/src/wcsc');

function walk(dir) {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((d) => (d.name === 'node_modules' ? [] : d.isDirectory() ? walk(path.join(dir, d.name)) : [path.join(dir, d.name)]));
}

function rel(root, file) {
  return path.relative(root, file).replace(/\\/g, '/');
}

/** {wxml, wxss: file counts, errors: ['file:line: message']} for the mini-program at root. */
function compileAll(root) {
  const files = walk(root);
  const wxml = files.filter((f) => f.endsWith('.wxml')).map((f) => rel(root, f).slice(0, -5));
  const wxs = files.filter((f) => f.endsWith('.wxs')).map((f) => rel(root, f));
  const wxss = files.filter((f) => f.endsWith('.wxss')).map((f) => rel(root, f).slice(0, -5));
  const errors = [];
  try {
    const js = wcc(root, wxml.slice(), wxs, { maxBuffer: 32 * 1024 * 1024 });
    // the output must also be JavaScript that runs and knows every template
    const sandbox = { console, Math, Date, JSON, Object, Array, String, Number, RegExp, Error };
    sandbox.window = sandbox;
    sandbox.__wxAppCode__ = {};
    sandbox.__vd_version_info__ = {};
    const gwx = vm.runInNewContext(js + '; $gwx', sandbox, { timeout: 10000 });
    wxml.forEach((f) => {
      if (typeof gwx(f + '.wxml') !== 'function') errors.push(f + '.wxml: wcc produced no template');
    });
  } catch (e) {
    errors.push(String(e.message || e).replace(/^编译 \.wxml 文件错误：/, '').trim());
  }
  const css = wcsc(root, wxss.slice(), { maxBuffer: 32 * 1024 * 1024 });
  if (css instanceof Error) {
    errors.push(
      css.message
        .replace(/^编译 \.wxss 文件错误：/, '')
        .replace(/error file count: \d+/, '')
        .trim()
    );
  } else {
    wxss.forEach((f) => {
      if (!(f + '.wxss' in css)) errors.push(f + '.wxss: wcsc produced no stylesheet');
    });
  }
  return { wxml: wxml.length, wxss: wxss.length, errors };
}

if (require.main === module) {
  const root = path.resolve(process.argv[2] || path.join(__dirname, '../src'));
  const res = compileAll(root);
  res.errors.forEach((e) => console.error('✗ ' + e));
  console.log(`wcc: ${res.wxml} WXML, wcsc: ${res.wxss} WXSS — ${res.errors.length ? res.errors.length + ' error(s)' : 'all compile'}`);
  process.exit(res.errors.length ? 1 : 0);
}

module.exports = { compileAll };
