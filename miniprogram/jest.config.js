process.env.TZ = 'Asia/Shanghai';

module.exports = {
  testEnvironment: 'jsdom',
  roots: ['<rootDir>/test'],
  setupFiles: ['<rootDir>/test/helpers/globals.js'],
  setupFilesAfterEnv: ['<rootDir>/test/helpers/setup.js'],
  clearMocks: true,
  restoreMocks: false,
  testTimeout: 20000
};
