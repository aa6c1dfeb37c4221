/** Static checks of the mini-program project: pages, components, package size, boundaries. */
const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
const SRC = path.join(ROOT, 'src');
const appJson = JSON.parse(fs.readFileSync(path.join(SRC, 'app.json'), 'utf8'));

function walk(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? walk(path.join(dir, d.name)) : [path.join(dir, d.name)]));
}

const allPages = appJson.pages.concat(...appJson.subPackages.map((p) => p.pages.map((x) => p.root + '/' + x)));

describe('project structure', () => {
  test('project.config.json points at src/', () => {
    const cfg = JSON.parse(fs.readFileSync(path.join(ROOT, 'project.config.json'), 'utf8'));
    expect(cfg.miniprogramRoot).toBe('src/');
  });

  test.each(allPages)('page %s has its four files and valid component references', (p) => {
    ['.js', '.json', '.wxml', '.wxss'].forEach((ext) => expect(fs.existsSync(path.join(SRC, p + ext))).toBe(true));
    const json = JSON.parse(fs.readFileSync(path.join(SRC, p + '.json'), 'utf8'));
    Object.values(json.usingComponents || {}).forEach((c) => {
      const base = c.startsWith('/') ? path.join(SRC, c) : path.resolve(path.dirname(path.join(SRC, p)), c);
      expect(fs.existsSync(base + '.js')).toBe(true);
    });
  });

  test('member and secretary screens live in subpackages', () => {
    expect(appJson.pages.every((p) => p.startsWith('pages/'))).toBe(true);
    expect(appJson.subPackages.map((s) => s.root).sort()).toEqual(['pkg-activity', 'pkg-member', 'pkg-record', 'pkg-reward', 'pkg-secretary', 'pkg-voice', 'pkg-wish']);
  });

  test('every page URL used in the code is a registered page', () => {
    const urls = new Set();
    walk(SRC)
      .filter((f) => /\.(js|wxml)$/.test(f))
      .forEach((f) => {
        const text = fs.readFileSync(f, 'utf8');
        const re = /['"](\/(?:pages|pkg-member|pkg-secretary|pkg-activity|pkg-reward|pkg-wish|pkg-voice|pkg-record)\/[a-z\-/]+)(?:\?|['"])/g;
        let m;
        while ((m = re.exec(text))) urls.add(m[1].slice(1));
      });
    expect(urls.size).toBeGreaterThan(5);
    urls.forEach((u) => expect(allPages).toContain(u));
  });

  test('only utils/request.js calls wx.request', () => {
    const offenders = walk(SRC)
      .filter((f) => f.endsWith('.js') && !f.endsWith(path.join('utils', 'request.js')))
      .filter((f) => /wx\s*\.\s*request\s*\(/.test(fs.readFileSync(f, 'utf8')));
    expect(offenders).toEqual([]);
  });

  test('the main package stays well under 2 MB and the whole app under 1 MB', () => {
    const files = walk(SRC);
    const total = files.reduce((s, f) => s + fs.statSync(f).size, 0);
    const main = files.filter((f) => !/[\\/]pkg-(member|secretary|activity|reward|wish|voice|record)[\\/]/.test(f)).reduce((s, f) => s + fs.statSync(f).size, 0);
    expect(main).toBeLessThan(2 * 1024 * 1024);
    expect(total).toBeLessThan(1024 * 1024);
  });

  test('no runtime dependencies (nothing to build with npm)', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.dependencies || {}).toEqual({});
    Object.values(pkg.devDependencies).forEach((v) => expect(v).toMatch(/^\d+\.\d+\.\d+$/));
    const requires = walk(SRC)
      .filter((f) => f.endsWith('.js'))
      .flatMap((f) => (fs.readFileSync(f, 'utf8').match(/require\('([^']+)'\)/g) || []).map((r) => r.slice(9, -2)));
    requires.forEach((r) => expect(r.startsWith('.')).toBe(true));
  });
});

describe('templates', () => {
  test('every WXML file compiles with the official WeChat template compiler (wcc)', () => {
    const compiler = require('miniprogram-compiler');
    const gwx = new Function(compiler.wxmlToJs(SRC))();
    const wxmls = walk(SRC).filter((f) => f.endsWith('.wxml'));
    expect(wxmls.length).toBeGreaterThan(20);
    wxmls.forEach((f) => {
      const rel = path.relative(SRC, f).replace(/\\/g, '/');
      expect(typeof gwx(rel)).toBe('function');
    });
  });
});
