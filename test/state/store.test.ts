// The state file on disk: atomic replacement (even under SIGKILL), bad files set aside, failures as values.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeState, STATE_FILE_NAME } from '../../src/state/state-file.js';
import { KEEP_INVALID, nodeStateFs, type StateFs, StateStore } from '../../src/state/store.js';
import { sample, T0 } from './builders.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'maglevd-state-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const file = () => join(dir, STATE_FILE_NAME);

describe('load', () => {
  it('a missing file (first start) is the empty state', async () => {
    const r = await new StateStore({ dir }).load();
    expect(r.kind).toBe('missing');
    expect(r.state.backends.size).toBe(0);
  });

  it('reads back what save wrote, with the save time, mode 0600, no temp file left', async () => {
    const store = new StateStore({ dir, now: () => T0 + 7 });
    const w = await store.save(sample());
    expect(w).toMatchObject({ ok: true, path: file() });
    const r = await store.load();
    expect(r.kind).toBe('loaded');
    expect(r.state.savedAt).toBe(T0 + 7);
    expect([...r.state.backends.keys()]).toEqual(['web1', 'web2', 'web3']);
    expect(r.state.backends.get('web1')).toMatchObject({
      admin: 'paused',
      health: { state: 'up', counter: 4 },
    });
    expect(statSync(file()).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual([STATE_FILE_NAME]);
  });

  it.each([
    ['truncated', (t: string) => t.slice(0, t.length / 2), 'truncated'],
    ['wrong version', (t: string) => t.replace('"version": 1', '"version": 9'), 'wrong-version'],
    ['wrong types', (t: string) => t.replace('"counter":4', '"counter":"4"'), 'invalid'],
    ['zero bytes', () => '', 'empty'],
  ])('a %s file is moved aside as .invalid-<time> and the daemon starts empty', async (_w, mangle, kind) => {
    writeFileSync(file(), mangle(encodeState(sample())));
    const before = readFileSync(file(), 'utf8');
    const r = await new StateStore({ dir, now: () => T0 }).load();
    expect(r.kind).toBe('set-aside');
    if (r.kind !== 'set-aside') return;
    expect(r.problem.kind).toBe(kind);
    expect(r.state.backends.size).toBe(0);
    expect(r.movedTo).toBe(join(dir, `${STATE_FILE_NAME}.invalid-2026-12-06T060000.000Z`));
    expect(existsSync(file())).toBe(false);
    expect(readFileSync(r.movedTo as string, 'utf8')).toBe(before); // kept for a post-mortem
  });

  it('an unreadable file (a directory in its place) is a reason, not a crash', async () => {
    const { mkdirSync } = await import('node:fs');
    mkdirSync(file());
    const r = await new StateStore({ dir, now: () => T0 }).load();
    expect(r.kind).toBe('set-aside');
    if (r.kind === 'set-aside') expect(r.problem.kind).toBe('unreadable');
  });

  it('a file that cannot even be moved aside still starts empty, saying why', async () => {
    writeFileSync(file(), 'garbage');
    const fs: StateFs = {
      ...nodeStateFs,
      rename: () => Promise.reject(Object.assign(new Error('EROFS: read-only'), { code: 'EROFS' })),
    };
    const r = await new StateStore({ dir, fs }).load();
    expect(r).toMatchObject({ kind: 'set-aside', movedTo: undefined, moveError: 'EROFS: read-only' });
  });

  it(`keeps the newest ${KEEP_INVALID} set-aside files`, async () => {
    let t = T0;
    for (let i = 0; i < KEEP_INVALID + 3; i++) {
      writeFileSync(file(), `bad ${i}`);
      t += 1000;
      const now = t;
      await new StateStore({ dir, now: () => now }).load();
    }
    const kept = readdirSync(dir)
      .filter((n) => n.includes('.invalid-'))
      .sort();
    expect(kept).toHaveLength(KEEP_INVALID);
    expect(readFileSync(join(dir, kept.at(-1) as string), 'utf8')).toBe(`bad ${KEEP_INVALID + 2}`);
  });
});

describe('save', () => {
  it('write, fsync, rename, fsync of the directory, in that order', async () => {
    const calls: string[] = [];
    const fs: StateFs = {
      ...nodeStateFs,
      writeDurable: async (p, d) => {
        calls.push(`write ${p.slice(dir.length + 1)}`);
        await nodeStateFs.writeDurable(p, d);
      },
      rename: async (a, b) => {
        calls.push(`rename ${a.slice(dir.length + 1)} ${b.slice(dir.length + 1)}`);
        await nodeStateFs.rename(a, b);
      },
      syncDir: async (d) => {
        calls.push(`syncdir ${d === dir}`);
        await nodeStateFs.syncDir(d);
      },
    };
    await new StateStore({ dir, fs }).save(sample());
    expect(calls).toEqual([
      `write ${STATE_FILE_NAME}.tmp`,
      `rename ${STATE_FILE_NAME}.tmp ${STATE_FILE_NAME}`,
      'syncdir true',
    ]);
  });

  it('a failed write (disk full) is a value, leaves the old file whole and no temp file', async () => {
    const good = new StateStore({ dir, now: () => T0 });
    await good.save(sample());
    const old = readFileSync(file(), 'utf8');
    const fs: StateFs = {
      ...nodeStateFs,
      writeDurable: async (p, d) => {
        writeFileSync(p, d.slice(0, 10)); // a partial temp file, then the error
        throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      },
    };
    const r = await new StateStore({ dir, fs }).save(sample());
    expect(r).toMatchObject({ ok: false, errno: 'ENOSPC', message: 'ENOSPC: no space left on device' });
    expect(readFileSync(file(), 'utf8')).toBe(old);
    expect(readdirSync(dir)).toEqual([STATE_FILE_NAME]);
  });

  it('creates a missing state directory', async () => {
    const sub = join(dir, 'a', 'b');
    expect((await new StateStore({ dir: sub }).save(sample())).ok).toBe(true);
    expect(existsSync(join(sub, STATE_FILE_NAME))).toBe(true);
  });

  it('SIGKILL between write and rename leaves the old file valid', async () => {
    const old = new StateStore({ dir, now: () => T0 });
    await old.save(sample());
    const oldText = readFileSync(file(), 'utf8');
    const child = fileURLToPath(new URL('./kill-child.ts', import.meta.url));
    const tsx = fileURLToPath(new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url));
    const p = spawn(process.execPath, ['--import', tsx, child, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    p.stderr.on('data', (b: Buffer) => {
      err += b.toString();
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`child never reached the rename: ${err}`)), 20_000);
      p.stdout.on('data', (b: Buffer) => {
        if (b.toString().includes('before-rename')) {
          clearTimeout(timer);
          resolve();
        }
      });
      p.on('exit', (code) => reject(new Error(`child exited (${code}) before the rename: ${err}`)));
    });
    const exited = new Promise((r) => p.on('exit', (_c, sig) => r(sig)));
    p.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    // The new state was written in full to the temp file; the file itself is still the old one, valid.
    expect(readFileSync(`${file()}.tmp`, 'utf8')).toContain('"name":"new"');
    expect(readFileSync(file(), 'utf8')).toBe(oldText);
    const r = await new StateStore({ dir }).load();
    expect(r.kind).toBe('loaded');
    expect([...r.state.backends.keys()]).toEqual(['web1', 'web2', 'web3']);
    // The next save replaces the leftover temp file and the state.
    expect((await new StateStore({ dir }).save(r.state)).ok).toBe(true);
    expect(readdirSync(dir)).toEqual([STATE_FILE_NAME]);
  }, 30_000);
});
