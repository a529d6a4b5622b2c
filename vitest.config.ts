// Test runner configuration: unit and property tests under test/, with the binapi workspace read from source.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const binapiDir = fileURLToPath(new URL('./binapi/', import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^vpp-binapi-ts$/, replacement: `${binapiDir}index.ts` },
      { find: /^vpp-binapi-ts\/runtime$/, replacement: `${binapiDir}runtime/index.ts` },
      { find: /^vpp-binapi-ts\/(.+)$/, replacement: `${binapiDir}$1.ts` },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/integration/**', 'node_modules/**'],
    testTimeout: 20_000,
    pool: 'forks',
  },
});
