// Fuzzed bad requests (fast-check): every one gets a 4xx JSON error and leaves the daemon's state unchanged.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BackendAdminBodySchema,
  ConfigReloadBodySchema,
  LogLevelBodySchema,
  SetWeightBodySchema,
  SyncBodySchema,
} from '../../src/control/protocol.js';
import { API_TOPS, type Harness, type RawResponse, raw, startHarness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

const NAMES = new Set([
  'web-v4',
  'web-v6',
  'web1',
  'web2',
  'web3',
  'web6a',
  'web6b',
  'primary',
  'fallback',
  'main',
]);

function expectRefused(r: RawResponse, before: string): void {
  expect(r.status, r.text).toBeGreaterThanOrEqual(400);
  expect(r.status, r.text).toBeLessThan(500);
  const e = (r.json as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  expect(typeof e?.code).toBe('string');
  expect(typeof e?.message).toBe('string');
  expect(h.target.state()).toBe(before);
}

const method = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH');
const segment = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom('..', '.', '%', '%zz', '', 'web1', 'admin'),
);

/** Action routes, each with a schema: a fuzzed body is sent only if the schema refuses it. */
const ACTIONS = [
  { method: 'POST', path: '/v1/backends/web1/admin', schema: BackendAdminBodySchema },
  { method: 'POST', path: '/v1/weights', schema: SetWeightBodySchema },
  { method: 'POST', path: '/v1/sync', schema: SyncBodySchema },
  { method: 'POST', path: '/v1/config/reload', schema: ConfigReloadBodySchema },
  { method: 'PUT', path: '/v1/log-level', schema: LogLevelBodySchema },
] as const;

function refusedBySchema(route: (typeof ACTIONS)[number], text: string): boolean {
  if (text.trim() === '') return false;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return true;
  }
  return !route.schema.safeParse(v).success;
}

/** Bodies close to valid ones: right keys, wrong values; plus arbitrary JSON and arbitrary text. */
const nearWeight = fc.record(
  {
    frontend: fc.oneof(fc.constant('web-v4'), fc.string()),
    pool: fc.oneof(fc.constant('primary'), fc.string()),
    backend: fc.oneof(fc.constant('web1'), fc.string()),
    weight: fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.double(), fc.string(), fc.constant(null)),
    flush: fc.oneof(fc.boolean(), fc.string(), fc.integer()),
  },
  { requiredKeys: [] },
);
const body = fc.oneof(
  fc.json(),
  fc.string(),
  nearWeight.map((o) => JSON.stringify(o)),
  fc.record({ action: fc.string() }).map((o) => JSON.stringify(o)),
  fc.record({ level: fc.string() }).map((o) => JSON.stringify(o)),
  fc.record({ frontend: fc.oneof(fc.string(), fc.integer()) }).map((o) => JSON.stringify(o)),
);

describe('fuzzed requests', () => {
  it('unknown paths: 4xx JSON, nothing changed', async () => {
    await fc.assert(
      fc.asyncProperty(method, fc.array(segment, { minLength: 1, maxLength: 4 }), async (m, segs) => {
        fc.pre(!API_TOPS.has(segs[0] ?? ''));
        const path = `/v1/${segs.map((s) => (s === '%' || s === '%zz' ? s : encodeURIComponent(s))).join('/')}`;
        const before = h.target.state();
        expectRefused(await raw(h.socketPath, m, path), before);
      }),
      { numRuns: 150 },
    );
  });

  it('known route shapes with unknown or malformed names: 4xx JSON, nothing changed', async () => {
    const shapes = fc.constantFrom(
      (n: string) => ['GET', `/v1/frontends/${n}`],
      (n: string) => ['GET', `/v1/backends/${n}`],
      (n: string) => ['GET', `/v1/explain/web-v4/${n}`],
      (n: string) => ['GET', `/v1/explain/${n}/web1`],
      (n: string) => ['POST', `/v1/backends/${n}/admin`],
    );
    await fc.assert(
      fc.asyncProperty(shapes, fc.string({ minLength: 1, maxLength: 20 }), async (shape, name) => {
        fc.pre(!NAMES.has(name));
        const [m, path] = shape(encodeURIComponent(name)) as [string, string];
        const before = h.target.state();
        expectRefused(
          await raw(h.socketPath, m, path, m === 'POST' ? '{"action":"pause"}' : undefined),
          before,
        );
      }),
      { numRuns: 150 },
    );
  });

  it('action routes with bodies their schema refuses: 400 JSON, nothing changed', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ACTIONS), body, async (route, text) => {
        fc.pre(refusedBySchema(route, text));
        const before = h.target.state();
        const r = await raw(h.socketPath, route.method, route.path, text, {
          'content-type': 'application/json',
        });
        expectRefused(r, before);
        expect(r.status).toBe(400);
      }),
      { numRuns: 300 },
    );
  });

  it('valid-looking weights for names that do not exist: 404, nothing changed', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,10}$/),
        fc.integer({ min: 0, max: 100 }),
        async (name, weight) => {
          fc.pre(!NAMES.has(name));
          const before = h.target.state();
          const r = await raw(
            h.socketPath,
            'POST',
            '/v1/weights',
            JSON.stringify({ frontend: 'web-v4', pool: 'primary', backend: name, weight }),
          );
          expectRefused(r, before);
          expect(r.status).toBe(404);
        },
      ),
      { numRuns: 100 },
    );
  });
});
