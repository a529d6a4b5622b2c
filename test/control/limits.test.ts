// What no client can do to the control server: lock others out, get an answer without a JSON body, or leave a refused action logged as done.
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.js';
import { errorOf, type Harness, jsonReq, raw, startHarness } from './harness.js';

let h: Harness | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await h?.close();
  h = undefined;
});

/** open connects a raw socket and resolves once the server side has it. */
function open(socketPath: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(socketPath, () => resolve(s));
    s.on('error', reject);
    sockets.push(s);
  });
}

/** exchange writes raw bytes and collects everything until the server closes the connection. */
function exchange(socketPath: string, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(socketPath, () => s.write(bytes));
    sockets.push(s);
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', reject);
    s.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

/** parsed splits a raw HTTP/1.1 response into its status and JSON body. */
function parsed(text: string): { status: number; headers: string; body: unknown } {
  const cut = text.indexOf('\r\n\r\n');
  const head = text.slice(0, cut);
  const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(head)?.[1]);
  return { status, headers: head.toLowerCase(), body: JSON.parse(text.slice(cut + 4)) };
}

/** stream opens /v1/events and resolves once the headers arrived (the stream then stays open). */
function stream(socketPath: string): Promise<{ status: number; body: Promise<string> }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path: '/v1/events', agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      const body = new Promise<string>((r) => res.on('end', () => r(Buffer.concat(chunks).toString())));
      resolve({ status: res.statusCode ?? 0, body });
    });
    req.on('error', reject);
    req.on('socket', (s) => sockets.push(s));
    req.end();
  });
}

describe('event streams are capped below the connection limit', () => {
  it('answers a stream beyond the cap with a JSON 503, and ordinary requests still work', async () => {
    h = await startHarness({ maxEventStreams: 3 });
    for (let i = 0; i < 3; i++) expect((await stream(h.socketPath)).status).toBe(200);
    expect(h.server.subscriberCount).toBe(3);
    const r = await raw(h.socketPath, 'GET', '/v1/events');
    expect(r.status).toBe(503);
    expect(errorOf(r)).toMatchObject({
      code: 'ERR_UNAVAILABLE',
      message: expect.stringContaining('3 event streams'),
    });
    expect(h.server.subscriberCount).toBe(3);
    expect((await raw(h.socketPath, 'GET', '/v1/info')).status).toBe(200);
  });
});

describe('a full server', () => {
  it('answers a request on a connection beyond the limit with a JSON 503 instead of resetting it', async () => {
    h = await startHarness({ maxConnections: 4 });
    const path = h.socketPath;
    for (let i = 0; i < 4; i++) await open(path);
    const r = await raw(path, 'GET', '/v1/info');
    expect(r.status).toBe(503);
    expect(errorOf(r).code).toBe('ERR_UNAVAILABLE');
    expect(r.headers.connection).toBe('close');
    // Once the idle connections go, requests are served again.
    for (const s of sockets.splice(0)) s.destroy();
    let ok = 0;
    for (let i = 0; i < 100 && ok === 0; i++) {
      if ((await raw(path, 'GET', '/v1/info')).status === 200) ok++;
      else await new Promise((res) => setTimeout(res, 10));
    }
    expect(ok).toBe(1);
  });

  it('closes a socket that sends no request with a JSON 408 once the header timeout passes', async () => {
    // Node only enforces the header timeout on its periodic sweep: the sweep must be frequent.
    h = await startHarness({ headersTimeoutMs: 200 });
    const s = await open(h.socketPath);
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    const closed = await new Promise<boolean>((resolve) => {
      const t = setTimeout(() => resolve(false), 4000);
      s.on('close', () => {
        clearTimeout(t);
        resolve(true);
      });
    });
    expect(closed).toBe(true);
    const r = parsed(Buffer.concat(chunks).toString('utf8'));
    expect(r.status).toBe(408);
    expect(r.body).toMatchObject({ error: { code: 'ERR_BAD_REQUEST' } });
  });
});

describe('requests Node itself refuses still get a JSON error', () => {
  const cases: [string, string, number][] = [
    ['an unknown method', 'BREW /v1/info HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ['a 100 KB query string', `GET /v1/info?${'a'.repeat(100_000)} HTTP/1.1\r\nHost: x\r\n\r\n`, 431],
    ['Content-Length: abc', 'POST /v1/sync HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n', 400],
    ['Content-Length: -5', 'POST /v1/sync HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n', 400],
  ];
  for (const [what, bytes, status] of cases) {
    it(`${what}: ${status} with an error body, then the connection closes`, async () => {
      h = await startHarness();
      const r = parsed(await exchange(h.socketPath, bytes));
      expect(r.status).toBe(status);
      expect(r.headers).toContain('content-type: application/json');
      expect(r.headers).toContain('connection: close');
      expect(r.body).toMatchObject({ error: { code: 'ERR_BAD_REQUEST', message: expect.any(String) } });
      expect(h.target.calls).toEqual([]);
    });
  }

  it('garbage on an open event stream ends it without writing an error into the stream', async () => {
    h = await startHarness();
    const s = await open(h.socketPath);
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.write('GET /v1/events HTTP/1.1\r\nHost: x\r\n\r\n');
    for (let i = 0; i < 200 && h.server.subscriberCount === 0; i++)
      await new Promise((r) => setTimeout(r, 5));
    expect(h.server.subscriberCount).toBe(1);
    const closed = new Promise<void>((r) => s.on('close', () => r()));
    s.write('BREW / HTTP/1.1\r\n\r\n');
    await closed;
    const text = Buffer.concat(chunks).toString('utf8');
    expect(text.match(/HTTP\/1\.1 /g)).toHaveLength(1);
    expect(text).not.toContain('ERR_BAD_REQUEST');
  });
});

describe('operator actions are logged with their outcome', () => {
  async function logged(): Promise<{ h: Harness; lines: Record<string, unknown>[] }> {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l));
        cb();
      },
    });
    const logger = createLogger({ level: 'info', destination: sink });
    const harness = await startHarness({ logger });
    return { h: harness, lines };
  }
  const actions = (lines: Record<string, unknown>[]) => lines.filter((l) => l.event === 'control-action');

  it('a refused pause is logged as refused at warn, not as done', async () => {
    const got = await logged();
    h = got.h;
    const r = await jsonReq(h.socketPath, 'POST', '/v1/backends/nope/admin', { action: 'pause' });
    expect(r.status).toBe(404);
    expect(actions(got.lines)).toEqual([
      expect.objectContaining({
        level: 'warn',
        action: 'pause backend nope',
        outcome: 'refused',
        code: 'ERR_NOT_FOUND',
        msg: expect.stringMatching(/^operator: pause backend nope: refused: no backend named "nope"/),
      }),
    ]);
  });

  it('a refused sync and a refused reload are logged as refused; a done action at info', async () => {
    const got = await logged();
    h = got.h;
    expect((await jsonReq(h.socketPath, 'POST', '/v1/sync', { frontend: 'nope' })).status).toBe(404);
    h.target.nextReload = {
      ok: false,
      file: 'maglev.yaml',
      generation: 1,
      changed: false,
      errors: [{ line: 3, col: 5, path: 'x', message: 'bad' }],
    };
    expect((await jsonReq(h.socketPath, 'POST', '/v1/config/reload', {})).status).toBe(422);
    expect((await jsonReq(h.socketPath, 'POST', '/v1/backends/web1/admin', { action: 'pause' })).status).toBe(
      200,
    );
    expect(actions(got.lines).map((l) => [l.level, l.action, l.outcome, l.code])).toEqual([
      ['warn', 'sync nope', 'refused', 'ERR_NOT_FOUND'],
      ['warn', 'config reload', 'refused', 'ERR_CONFIG'],
      ['info', 'pause backend web1', 'done', undefined],
    ]);
  });
});
