/**
 * @jest-environment node
 *
 * 我的 rendered by miniprogram-simulate from the recorded demo answers: the 双报到 entry is
 * there for a member of a work-unit branch (org_kind "unit" in GET /me) and not for a member
 * of a community branch.
 */
const fixtures = require('../../tools/preview/fixtures');
const { ROLES } = require('../../tools/preview/screens');

const store = fixtures.loadAll();

async function renderProfile(role) {
  const screen = { name: role + '-profile', title: '我的', role, page: 'pages/profile/profile', openid: ROLES[role].openid };
  const problems = [];
  jest.resetModules();
  const { renderScreen } = require('../../tools/preview/render');
  const out = await renderScreen(screen, fixtures.replay(store[role], screen, problems));
  // the unread badge is not what these tests look at (not recorded for every role)
  expect(problems.filter((p) => p.indexOf('/notifications/unread-count') < 0)).toEqual([]);
  return out.html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
}

describe('我的 · 双报到 entry', () => {
  test('shown to a member of a work-unit branch', async () => {
    const text = await renderProfile('unit-member');
    expect(text).toMatch(/我的服务记录/);
    expect(text).toMatch(/双报到/);
  });

  test('not shown to a member of a community branch', async () => {
    const text = await renderProfile('member');
    expect(text).toMatch(/我的服务记录/);
    expect(text).not.toMatch(/双报到/);
  });
});
