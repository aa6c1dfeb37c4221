const path = require('path');
const simulate = require('miniprogram-simulate');

const SRC = path.resolve(__dirname, '../../src');
// jest keeps its own module registry, so a component's js runs only on the first load:
// load each component once per test file and reuse its id.
const ids = {};

/** Loads and renders src/components/<name>/index with properties, attached to a parent. */
function renderComponent(name, props) {
  if (!ids[name]) {
    // a fresh module registry so that nested components' js runs again too
    jest.isolateModules(() => {
      ids[name] = simulate.load(path.join(SRC, 'components', name, 'index'), name, { rootPath: SRC });
    });
  }
  const comp = simulate.render(ids[name], props || {});
  comp.attach(document.createElement('parent-wrapper'));
  return comp;
}

module.exports = { renderComponent, simulate };
