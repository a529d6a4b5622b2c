// The control socket's file: a crashed daemon's stale socket is removed, a live daemon's is never touched.
import { link, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ControlClient } from '../../src/control/client.js';
import { ControlServer } from '../../src/control/server.js';
import { prepareSocketPath, probeSocket } from '../../src/control/socket-path.js';
import { FakeControlTarget } from '../fakes/fake-control-target.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'maglev-sock-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function listen(path: string): Promise<Server> {
  return new Promise((resolve) => {
    const s = createServer((c) => c.destroy());
    s.listen(path, () => resolve(s));
  });
}

/** staleSocket leaves a socket file nobody listens on, as a crashed daemon does (a hard link survives close). */
async function staleSocket(path: string): Promise<void> {
  const tmp = `${path}.live`;
  const s = await listen(tmp);
  await link(tmp, path);
  await new Promise<void>((r) => s.close(() => r()));
}

describe('prepareSocketPath', () => {
  it('creates a missing directory with mode 0750', async () => {
    const path = join(dir, 'a', 'b', 'maglevd.sock');
    expect(await prepareSocketPath(path)).toBe('fresh');
    expect((await stat(join(dir, 'a', 'b'))).mode & 0o777).toBe(0o750);
  });

  it('leaves an existing directory mode alone', async () => {
    await mkdir(join(dir, 'run'), { mode: 0o755 });
    await prepareSocketPath(join(dir, 'run', 'x.sock'));
    expect((await stat(join(dir, 'run'))).mode & 0o777).toBe(0o755);
  });

  it('removes a stale socket left by a crash, and the server starts on it', async () => {
    const path = join(dir, 'maglevd.sock');
    await staleSocket(path);
    expect(await probeSocket(path)).toBe('refused');
    const server = await ControlServer.start({ socketPath: path, target: new FakeControlTarget() });
    try {
      const info = await new ControlClient({ socketPath: path }).get<{ pid: number }>('/info');
      expect(info.pid).toBe(4242);
    } finally {
      await server.close();
    }
  });

  it('refuses to start when another daemon answers, and leaves that daemon working', async () => {
    const path = join(dir, 'maglevd.sock');
    const first = await ControlServer.start({ socketPath: path, target: new FakeControlTarget() });
    try {
      await expect(
        ControlServer.start({ socketPath: path, target: new FakeControlTarget() }),
      ).rejects.toMatchObject({
        code: 'ERR_SOCKET_IN_USE',
        message: `another maglevd answers on the control socket ${path}`,
      });
      expect(await new ControlClient({ socketPath: path }).get('/info')).toMatchObject({ pid: 4242 });
    } finally {
      await first.close();
    }
  });

  it('never deletes a path that is not a socket', async () => {
    const path = join(dir, 'maglevd.sock');
    await writeFile(path, 'precious');
    await expect(prepareSocketPath(path)).rejects.toMatchObject({ code: 'ERR_STATE' });
    expect((await stat(path)).isFile()).toBe(true);
  });

  it('probeSocket tells absent from answering', async () => {
    const path = join(dir, 'p.sock');
    expect(await probeSocket(path)).toBe('absent');
    const s = await listen(path);
    expect(await probeSocket(path)).toBe('answers');
    await new Promise<void>((r) => s.close(() => r()));
  });
});
