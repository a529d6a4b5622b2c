// The control client: one-line errors naming the socket, daemon errors with their code, timeouts, SSE frames.
import { link, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ControlClient, ControlError, parseFrame } from '../../src/control/client.js';
import { type Harness, startHarness } from './harness.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'maglev-client-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function listen(path: string, onConn: (c: import('node:net').Socket) => void): Promise<Server> {
  return new Promise((resolve) => {
    const s = createServer(onConn);
    s.listen(path, () => resolve(s));
  });
}

async function failure(p: Promise<unknown>): Promise<ControlError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ControlError) return e;
    throw e;
  }
  throw new Error('expected a failure');
}

describe('ControlClient', () => {
  it('names the socket when it does not exist', async () => {
    const path = join(dir, 'none.sock');
    const e = await failure(new ControlClient({ socketPath: path }).get('/info'));
    expect(e.unreachable).toBe(true);
    expect(e.message).toBe(
      `cannot reach maglevd: control socket ${path} does not exist (is maglevd running? use --socket or MAGLEV_CONTROL_SOCKET)`,
    );
  });

  it('names the socket when nothing listens on it', async () => {
    const path = join(dir, 'stale.sock');
    const s = await listen(`${path}.tmp`, (c) => c.destroy());
    await link(`${path}.tmp`, path);
    await new Promise<void>((r) => s.close(() => r()));
    const e = await failure(new ControlClient({ socketPath: path }).get('/info'));
    expect(e.message).toBe(
      `cannot reach maglevd: nothing listens on control socket ${path} (is maglevd running?)`,
    );
  });

  it('times out on a daemon that accepts but never answers', async () => {
    const path = join(dir, 'mute.sock');
    const held: import('node:net').Socket[] = [];
    const s = await listen(path, (c) => held.push(c));
    try {
      const e = await failure(new ControlClient({ socketPath: path, timeoutMs: 100 }).get('/info'));
      expect(e.unreachable).toBe(true);
      expect(e.message).toBe(`maglevd did not answer on control socket ${path} within 100 ms`);
      const e2 = await failure(
        new ControlClient({ socketPath: path }).events({}, () => undefined, { idleTimeoutMs: 100 }),
      );
      expect(e2.message).toContain(path);
    } finally {
      for (const c of held) c.destroy();
      await new Promise<void>((r) => s.close(() => r()));
    }
  });

  describe('against the server', () => {
    let h: Harness;
    beforeEach(async () => {
      h = await startHarness();
    });
    afterEach(async () => {
      await h.close();
    });

    it('turns an API error into a ControlError with status, code and message', async () => {
      const e = await failure(new ControlClient({ socketPath: h.socketPath }).get('/backends/nope'));
      expect(e).toMatchObject({ status: 404, apiCode: 'ERR_NOT_FOUND', message: 'no backend named "nope"' });
      expect(e.unreachable).toBe(false);
    });

    it('an event stream refused by the daemon rejects with its error', async () => {
      const e = await failure(
        new ControlClient({ socketPath: h.socketPath }).events({ level: 'loud' }, () => undefined),
      );
      expect(e.status).toBe(400);
    });
  });

  it('parseFrame reads data lines and skips comments and junk', () => {
    expect(parseFrame(': keepalive')).toBeUndefined();
    expect(parseFrame('event: log\ndata: {"type":"log"}')).toEqual({ type: 'log' });
    expect(parseFrame('data: {not json')).toBeUndefined();
    expect(parseFrame('data: 42')).toBeUndefined();
  });
});
