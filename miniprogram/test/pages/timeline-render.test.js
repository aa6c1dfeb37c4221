/**
 * @jest-environment node
 *
 * 工单详情's 办理进度, rendered by miniprogram-simulate (official wcc templates) from the answers
 * recorded from the demo backend: 查看全部记录 appears only when older events are archived,
 * and the archived page it loads is drawn in the same timeline.
 */
const fixtures = require('../../tools/preview/fixtures');
const { SCREENS, ROLES } = require('../../tools/preview/screens');

const store = fixtures.loadAll();
const NAME = 'resident-order-in_service';

async function render(edit) {
  const screen = SCREENS.find((s) => s.name === NAME);
  const fx = JSON.parse(JSON.stringify(store[screen.role]));
  const full = Object.assign({}, screen, { openid: ROLES[screen.role].openid });
  if (typeof full.query === 'function') full.query = full.query(fixtures.orders(fx), fx);
  const key = fixtures.keyFor('GET', '/api/v1/orders/' + full.query.id);
  if (edit) edit(fx.responses[key].body, fx, full);
  const problems = [];
  jest.resetModules();
  const { renderScreen } = require('../../tools/preview/render');
  const out = await renderScreen(full, fixtures.replay(fx, full, problems));
  expect(problems).toEqual([]);
  return out;
}

const text = (html) => html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');

describe('办理进度 (miniprogram-simulate, recorded demo answers)', () => {
  test('nothing archived: the recent events, no 查看全部记录', async () => {
    const out = await render((order) => {
      order.timeline_archived = 0;
      order.timeline_total = order.timeline.length;
    });
    expect(out.data.order.timeline.length).toBeGreaterThan(0);
    expect(text(out.html)).not.toMatch(/查看全部记录/);
  });

  test('older events archived: 查看全部记录（共 N 条） under the recent ones', async () => {
    const out = await render((order) => {
      order.timeline_archived = 20;
      order.timeline_total = order.timeline.length + 20;
    });
    expect(text(out.html)).toContain('查看全部记录（共 ' + out.data.order.timeline_total + ' 条）');
  });
});
