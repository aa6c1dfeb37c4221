/**
 * @jest-environment node
 *
 * The pkg-record pages rendered by miniprogram-simulate (official wcc templates) from the answers
 * recorded from the demo backend, as the preview draws them: what a person reads on each screen.
 */
const fixtures = require('../../tools/preview/fixtures');
const { SCREENS, ROLES } = require('../../tools/preview/screens');

const store = fixtures.loadAll();

async function render(name) {
  const screen = SCREENS.find((s) => s.name === name);
  const fx = store[screen.role];
  const full = Object.assign({}, screen, { openid: ROLES[screen.role].openid });
  if (typeof full.query === 'function') full.query = full.query(fixtures.orders(fx), fx);
  const problems = [];
  // a fresh module registry per screen: app.js and the page run from the start, as in WeChat
  jest.resetModules();
  const { renderScreen } = require('../../tools/preview/render');
  const out = await renderScreen(full, fixtures.replay(fx, full, problems));
  expect(problems).toEqual([]);
  const text = out.html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
  expect(text).not.toMatch(/undefined|null|NaN|\{\{/);
  return { text, data: out.data };
}

describe('pkg-record pages (miniprogram-simulate, recorded demo answers)', () => {
  test('我的服务记录: totals, months, orders with stars, honours', async () => {
    const { text, data } = await render('member-record');
    expect(text).toMatch(/王建国/);
    expect(text).toMatch(/志愿者编号 TX[0-9A-F]+/);
    expect(text).toMatch(/按月统计/);
    expect(data.record.months.length).toBeGreaterThanOrEqual(5);
    expect(text).toMatch(/[★☆]{5}/);
    expect(text).toMatch(/服务标兵/);
  });

  test('我的服务记录 of a reported member: the 双报到 service', async () => {
    const { text } = await render('unit-member-record');
    expect(text).toMatch(/双报到服务 阳光社区 已报到/);
    expect(text).toMatch(/在社区服务 1 单/);
  });

  test('双报到: my confirmed report with 结束报到; the community secretary confirms or declines', async () => {
    let r = await render('unit-member-reports');
    expect(r.text).toMatch(/阳光社区 已报到 岗位：楼栋长、助老/);
    expect(r.text).toMatch(/结束报到/);
    expect(r.text).not.toMatch(/向居住地社区报到/);
    r = await render('community-secretary-reports');
    expect(r.text).toMatch(/陈思远 待确认 和平区税务局机关党支部 → 阳光社区/);
    expect(r.text).toMatch(/退回 确认报到/);
    r = await render('unit-newcomer-report-form');
    expect(r.text).toMatch(/居住地社区 \* 阳光社区/);
    expect(r.data.form.posts.filter((p) => p.on)).toHaveLength(1);
  });

  test('组织关系转接: the member follows the timeline; the street approves and the receiver accepts', async () => {
    let r = await render('mover-transfers');
    expect(r.text).toMatch(/待接收/);
    expect(r.text).toMatch(/介绍信 转\d{4}第\d{5}号/);
    expect(r.text.indexOf('转出审批')).toBeLessThan(r.text.indexOf('提出申请'));
    r = await render('admin-transfers-out');
    expect(r.text).toMatch(/同意转出/);
    r = await render('admin-transfers-in');
    expect(r.text).toMatch(/退回 接收/);
  });

  test('志愿服务记录证明 and 荣誉榜', async () => {
    let r = await render('member-certificates');
    expect(r.text).toMatch(/有效/);
    expect(r.text).toMatch(/居民身份证 1101\*+\d{4}/);
    expect(r.text).toMatch(/查看证明 PDF/);
    r = await render('member-honours');
    expect(r.text).toMatch(/本社区 本街道 本区/);
    expect(r.text).toMatch(/党员之星/);
    expect(r.text).toMatch(/王建国 服务 \d+(\.\d+)? 小时/);
  });
});
