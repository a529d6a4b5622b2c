// The control server's routes against a fake daemon: views, actions, and how bad requests are refused.
import { stat } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type {
  ActionResult,
  BackendView,
  ExplainView,
  FrontendView,
  PlanView,
} from '../../src/control/protocol.js';
import { errorOf, type Harness, jsonReq, raw, startHarness } from './harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

describe('read routes', () => {
  it('GET /v1/frontends lists every frontend with pools, weights and VPP buckets', async () => {
    const r = await raw(h.socketPath, 'GET', '/v1/frontends');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    const fes = (r.json as { frontends: FrontendView[] }).frontends;
    expect(fes.map((f) => f.name)).toEqual(['web-v4', 'web-v6']);
    const web2 = fes[0]!.pools[0]!.backends.find((b) => b.backend === 'web2')!;
    expect(web2).toMatchObject({
      state: 'down',
      configuredWeight: 50,
      effectiveWeight: 0,
      vppWeight: 50,
      vppBuckets: 341,
    });
    expect(web2.lastTransition?.ageMs).toBe(95_000);
    expect(fes[0]!.activePool).toBe('primary');
  });

  it('GET /v1/frontends/:name returns one, 404 for an unknown name', async () => {
    const r = await raw(h.socketPath, 'GET', '/v1/frontends/web-v6');
    expect((r.json as FrontendView).vip).toBe('2001:db8::1/128 tcp:443');
    const missing = await raw(h.socketPath, 'GET', '/v1/frontends/nope');
    expect(missing.status).toBe(404);
    expect(errorOf(missing)).toEqual({ code: 'ERR_NOT_FOUND', message: 'no frontend named "nope"' });
  });

  it('GET /v1/backends and /v1/backends/:name carry counter, last probe and history', async () => {
    const all = await raw(h.socketPath, 'GET', '/v1/backends');
    expect((all.json as { backends: BackendView[] }).backends).toHaveLength(5);
    const one = (await raw(h.socketPath, 'GET', '/v1/backends/web2')).json as BackendView;
    expect(one.lastProbe).toMatchObject({ ok: false, code: 'L4CON', latencyMs: 0.4 });
    expect(one.history.map((t) => `${t.from}>${t.to}`)).toEqual(['unknown>up', 'up>down']);
    expect((await raw(h.socketPath, 'GET', '/v1/backends/web9')).status).toBe(404);
  });

  it('GET /v1/healthchecks, /v1/vpp, /v1/vpp/lb, /v1/info', async () => {
    const hc = await raw(h.socketPath, 'GET', '/v1/healthchecks');
    expect((hc.json as { healthchecks: { name: string }[] }).healthchecks[0]?.name).toBe('hc');
    const vpp = await raw(h.socketPath, 'GET', '/v1/vpp');
    expect(vpp.json).toMatchObject({ state: 'connected', version: '25.06-release' });
    const lb = await raw(h.socketPath, 'GET', '/v1/vpp/lb');
    expect(lb.json).toMatchObject({ connected: true, source: 'dump' });
    const info = await raw(h.socketPath, 'GET', '/v1/info');
    expect(info.json).toMatchObject({ version: '0.1.0', logLevel: 'info' });
  });

  it('GET /v1/plan lists the exact calls and buckets moved per VIP', async () => {
    const p = (await raw(h.socketPath, 'GET', '/v1/plan')).json as PlanView;
    expect(p.inSync).toBe(false);
    expect(p.steps.map((s) => s.line)).toEqual([
      'lb_as_set_weight 198.51.100.1/32 tcp:80 as 192.0.2.12 weight 50 → 0 flush',
    ]);
    expect(p.vips).toEqual([
      { vip: '198.51.100.1/32 tcp:80', frontend: 'web-v4', calls: 1, bucketsMoved: 341, tableLength: 1024 },
    ]);
  });

  it('GET /v1/explain/:frontend/:backend gives the reason line; unknown names are 404', async () => {
    const e = (await raw(h.socketPath, 'GET', '/v1/explain/web-v4/web3')).json as ExplainView;
    expect(e.members[0]).toMatchObject({ pool: 'fallback', poolActive: false, effectiveWeight: 0 });
    expect(e.members[0]?.reason).toContain('not active');
    expect((await raw(h.socketPath, 'GET', '/v1/explain/web-v4/web6a')).status).toBe(404);
    expect((await raw(h.socketPath, 'GET', '/v1/explain/nope/web1')).status).toBe(404);
  });
});

describe('actions', () => {
  it('POST /v1/backends/:name/admin pauses, and the change shows in the views', async () => {
    const r = await jsonReq(h.socketPath, 'POST', '/v1/backends/web1/admin', { action: 'pause' });
    expect(r.status).toBe(200);
    expect(r.json as ActionResult).toMatchObject({ changed: true, vips: ['198.51.100.1/32 tcp:80'] });
    const b = (await raw(h.socketPath, 'GET', '/v1/backends/web1')).json as BackendView;
    expect(b.state).toBe('paused');
  });

  it('pausing a disabled backend is a 409 and changes nothing', async () => {
    const before = h.target.state();
    const r = await jsonReq(h.socketPath, 'POST', '/v1/backends/web6b/admin', { action: 'pause' });
    expect(r.status).toBe(409);
    expect(errorOf(r).code).toBe('ERR_STATE');
    expect(h.target.state()).toBe(before);
  });

  it('POST /v1/weights sets and clears an override', async () => {
    const set = await jsonReq(h.socketPath, 'POST', '/v1/weights', {
      frontend: 'web-v4',
      pool: 'primary',
      backend: 'web1',
      weight: 0,
      flush: true,
    });
    expect(set.status).toBe(200);
    expect(h.target.overrides.get('web-v4/primary/web1')).toEqual({ weight: 0, flush: true });
    const clear = await jsonReq(h.socketPath, 'POST', '/v1/weights', {
      frontend: 'web-v4',
      pool: 'primary',
      backend: 'web1',
      weight: 'default',
    });
    expect(clear.status).toBe(200);
    expect(h.target.overrides.size).toBe(0);
  });

  it.each([
    [{ frontend: 'web-v4', pool: 'primary', backend: 'web1', weight: 101 }, 400],
    [{ frontend: 'web-v4', pool: 'primary', backend: 'web1', weight: -1 }, 400],
    [{ frontend: 'web-v4', pool: 'primary', backend: 'web1', weight: 2.5 }, 400],
    [{ frontend: 'web-v4', pool: 'primary', backend: 'web1', weight: '50' }, 400],
    [{ frontend: 'web-v4', pool: 'primary', backend: 'web1' }, 400],
    [{ frontend: 'web-v4', pool: 'primary', backend: 'web1', weight: 5, extra: 1 }, 400],
    [{ frontend: 'web-v4', pool: 'nope', backend: 'web1', weight: 5 }, 404],
    [{ frontend: 'web-v4', pool: 'primary', backend: 'web3', weight: 5 }, 404],
    [{ frontend: 'gone', pool: 'primary', backend: 'web1', weight: 5 }, 404],
  ])('POST /v1/weights %j → %i, nothing changed', async (body, status) => {
    const before = h.target.state();
    const r = await jsonReq(h.socketPath, 'POST', '/v1/weights', body);
    expect(r.status).toBe(status);
    expect(errorOf(r).message.length).toBeGreaterThan(0);
    expect(h.target.state()).toBe(before);
  });

  it('POST /v1/sync: full, one frontend, unknown frontend 404', async () => {
    expect((await jsonReq(h.socketPath, 'POST', '/v1/sync', {})).json).toMatchObject({
      message: 'full sync planned',
    });
    expect((await raw(h.socketPath, 'POST', '/v1/sync')).status).toBe(200);
    const one = await jsonReq(h.socketPath, 'POST', '/v1/sync', { frontend: 'web-v6' });
    expect((one.json as ActionResult).vips).toEqual(['2001:db8::1/128 tcp:443']);
    expect((await jsonReq(h.socketPath, 'POST', '/v1/sync', { frontend: 'nope' })).status).toBe(404);
    expect(h.target.calls).toEqual(['sync *', 'sync *', 'sync web-v6']);
  });

  it('actions fail fast with 503 when the daemon reports VPP unreachable', async () => {
    h.target.vppConnected = false;
    const before = h.target.state();
    for (const [path, body] of [
      ['/v1/backends/web1/admin', { action: 'disable' }],
      ['/v1/weights', { frontend: 'web-v4', pool: 'primary', backend: 'web1', weight: 5 }],
      ['/v1/sync', {}],
    ] as const) {
      const r = await jsonReq(h.socketPath, 'POST', path, body);
      expect(r.status).toBe(503);
      expect(errorOf(r)).toMatchObject({ code: 'ERR_VPP_DISCONNECTED' });
    }
    expect(h.target.state()).toBe(before);
  });

  it('a daemon that does not answer in time gets a 503, not a hang', async () => {
    await h.close();
    h = await startHarness({ callTimeoutMs: 100 });
    h.target.hang = new Promise(() => undefined);
    const r = await jsonReq(h.socketPath, 'POST', '/v1/sync', {});
    expect(r.status).toBe(503);
    expect(errorOf(r).message).toContain('within 100 ms');
  });

  it('POST /v1/config/check validates a client file or the running one', async () => {
    const ok = await jsonReq(h.socketPath, 'POST', '/v1/config/check', {});
    expect(ok.json).toEqual({ ok: true, file: '/etc/maglev/maglev.yaml', errors: [] });
    const bad = await jsonReq(h.socketPath, 'POST', '/v1/config/check', {
      file: { name: 'new.yaml', text: 'maglev:\n  frontends:\n    bogus: 1\n' },
    });
    expect(bad.status).toBe(200);
    expect(bad.json).toMatchObject({ ok: false, errors: [{ line: 3, col: 5 }] });
  });

  it('POST /v1/config/reload: 200 when applied, 422 with line:col errors when refused', async () => {
    expect((await jsonReq(h.socketPath, 'POST', '/v1/config/reload', {})).status).toBe(200);
    h.target.nextReload = {
      ok: false,
      file: '/etc/maglev/maglev.yaml',
      generation: 1,
      changed: false,
      errors: [{ line: 12, col: 7, path: 'maglev.backends.web1.address', message: 'not an IP address' }],
    };
    const r = await jsonReq(h.socketPath, 'POST', '/v1/config/reload', {});
    expect(r.status).toBe(422);
    const e = errorOf(r);
    expect(e.code).toBe('ERR_CONFIG');
    expect(e.message).toContain('/etc/maglev/maglev.yaml:12:7: not an IP address');
    expect(e.details).toMatchObject({ ok: false, errors: [{ line: 12, col: 7 }] });
  });

  it('PUT /v1/log-level changes the level; a bad level is 400', async () => {
    const r = await jsonReq(h.socketPath, 'PUT', '/v1/log-level', { level: 'debug' });
    expect(r.json).toEqual({ level: 'debug' });
    expect(h.target.logLevel).toBe('debug');
    expect((await jsonReq(h.socketPath, 'PUT', '/v1/log-level', { level: 'loud' })).status).toBe(400);
    expect(h.target.logLevel).toBe('debug');
  });
});

describe('bad requests', () => {
  it('unknown routes are 404, wrong methods 405 with Allow', async () => {
    expect((await raw(h.socketPath, 'GET', '/v1/nope')).status).toBe(404);
    expect((await raw(h.socketPath, 'GET', '/v2/frontends')).status).toBe(404);
    expect((await raw(h.socketPath, 'GET', '/')).status).toBe(404);
    const r = await raw(h.socketPath, 'DELETE', '/v1/frontends');
    expect(r.status).toBe(405);
    expect(r.headers.allow).toBe('GET');
    expect(errorOf(r).code).toBe('ERR_METHOD_NOT_ALLOWED');
    expect((await raw(h.socketPath, 'GET', '/v1/sync')).headers.allow).toBe('POST');
  });

  it('malformed JSON is 400, an oversized body 413, neither changes anything', async () => {
    const before = h.target.state();
    const bad = await raw(h.socketPath, 'POST', '/v1/sync', '{"frontend":', {
      'content-type': 'application/json',
    });
    expect(bad.status).toBe(400);
    expect(errorOf(bad).message).toMatch(/^malformed JSON body/);
    const big = await raw(h.socketPath, 'POST', '/v1/sync', `{"frontend":"${'a'.repeat(100_000)}"}`);
    expect(big.status).toBe(413);
    expect(errorOf(big).code).toBe('ERR_BODY_TOO_LARGE');
    // Chunked, so the limit is enforced while reading rather than from Content-Length.
    const chunked = await raw(h.socketPath, 'POST', '/v1/sync', Buffer.alloc(200_000, 0x20), {
      'transfer-encoding': 'chunked',
    });
    expect(chunked.status).toBe(413);
    expect(h.target.state()).toBe(before);
  });

  it('the config check body may be large, up to its own limit', async () => {
    const text = `# ${'x'.repeat(500_000)}\n`;
    const r = await jsonReq(h.socketPath, 'POST', '/v1/config/check', { file: { name: 'big.yaml', text } });
    expect(r.status).toBe(200);
  });

  it('unknown or repeated query parameters, bodies on GET, bad names and bad encodings are 400', async () => {
    expect((await raw(h.socketPath, 'GET', '/v1/frontends?x=1')).status).toBe(400);
    expect((await raw(h.socketPath, 'GET', '/v1/events?backend=a&backend=b')).status).toBe(400);
    expect((await raw(h.socketPath, 'GET', '/v1/events?level=loud')).status).toBe(400);
    // Node's client sends a GET body with no length: bytes after the request, refused with a JSON body.
    const withBody = await raw(h.socketPath, 'GET', '/v1/frontends', '{}');
    expect(withBody.status).toBe(400);
    expect(errorOf(withBody).code).toBe('ERR_BAD_REQUEST');
    expect((await raw(h.socketPath, 'GET', '/v1/backends/%2E%2E')).status).toBe(400);
    expect((await raw(h.socketPath, 'GET', '/v1/backends/%E0%A4%A')).status).toBe(400);
  });
});

describe('socket file', () => {
  it('creates the directory 0750 and the socket 0660; close removes the socket', async () => {
    const d = await stat(`${h.dir}/run`);
    expect(d.mode & 0o777).toBe(0o750);
    const s = await stat(h.socketPath);
    expect(s.isSocket()).toBe(true);
    expect(s.mode & 0o777).toBe(0o660);
    await h.server.close();
    await expect(stat(h.socketPath)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
