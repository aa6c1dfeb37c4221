const { createWx } = require('./wx');

// `wx` must exist while modules are first required (config reads the env version).
global.wx = createWx();
