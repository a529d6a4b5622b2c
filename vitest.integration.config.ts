// Integration tests against a real VPP: run only when VPP_API_SOCKET names its binary-API socket.
import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

// Spread rather than mergeConfig: mergeConfig concatenates include/exclude, which kept the unit tests
// and excluded the integration ones.
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ['test/integration/**/*.test.ts'],
    exclude: ['node_modules/**'],
  },
});
