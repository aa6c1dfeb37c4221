const { createWx } = require('./wx');

// `wx` must exist while modules are first required (config reads the env version).
global.wx = createWx();

// Behavior({...}) (behaviors/): the definition itself; createPage merges it into the page
global.Behavior = (def) => Object.assign({ __behavior: true }, def);
