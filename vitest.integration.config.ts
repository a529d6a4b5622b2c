// Integration tests against a real VPP: run only when VPP_API_SOCKET names its binary-API socket.
import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

export default mergeConfig(
  base,
  defineConfig({
    test: {
      include: ['test/integration/**/*.test.ts'],
      exclude: ['node_modules/**'],
    },
  }),
);
