// docs/api.md documents every route the server has, and nothing the server lacks.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Harness, startHarness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

it('every route is in the routes table of docs/api.md, and every documented route exists', async () => {
  const doc = await readFile(new URL('../../docs/api.md', import.meta.url), 'utf8');
  const documented = [...doc.matchAll(/^\| (GET|POST|PUT) \| `(\/v1\/[^`]*)` \|/gm)].map(
    (m) => `${m[1]} ${m[2]}`,
  );
  expect([...documented].sort()).toEqual([...h.server.routes].sort());
});
