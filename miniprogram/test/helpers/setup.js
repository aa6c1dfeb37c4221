const { createWx } = require('./wx');

// A fresh fake wx before every test; tests may replace single functions.
beforeEach(() => {
  global.wx = createWx();
});
