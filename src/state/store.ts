// The state file on disk: read at start (an invalid one is set aside, never fatal), written atomically.
import * as fsp from 'node:fs/promises';
import { basename, join } from 'node:path';
import {
  decodeState,
  emptyState,
  encodeState,
  MAX_STATE_FILE_BYTES,
  type PersistedState,
  STATE_FILE_NAME,
  type StateFileProblem,
} from './state-file.js';

/**
 * StateFs is every file operation the store makes: the real one by default, a fake in tests (to fail or
 * stop at any step). `writeDurable` creates or truncates, writes everything, fsyncs and closes.
 */
export interface StateFs {
  size(path: string): Promise<number>;
  readFile(path: string): Promise<string>;
  writeDurable(path: string, data: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** fsync of a directory, so a rename in it survives a power cut. */
  syncDir(dir: string): Promise<void>;
  unlink(path: string): Promise<void>;
  mkdir(dir: string): Promise<void>;
  readdir(dir: string): Promise<string[]>;
}

/** nodeStateFs is StateFs over node:fs/promises. */
export const nodeStateFs: StateFs = {
  size: async (p) => (await fsp.stat(p)).size,
  readFile: (p) => fsp.readFile(p, 'utf8'),
  async writeDurable(p, data) {
    // 0600: the file names backends and the operator's actions; only maglevd reads it.
    const h = await fsp.open(p, 'w', 0o600);
    try {
      await h.writeFile(data, 'utf8');
      await h.sync();
    } finally {
      await h.close();
    }
  },
  rename: (a, b) => fsp.rename(a, b),
  async syncDir(dir) {
    const h = await fsp.open(dir, 'r');
    try {
      await h.sync();
    } finally {
      await h.close();
    }
  },
  unlink: (p) => fsp.unlink(p),
  mkdir: async (dir) => {
    await fsp.mkdir(dir, { recursive: true, mode: 0o750 });
  },
  readdir: (dir) => fsp.readdir(dir),
};

/** KEEP_INVALID is how many set-aside files are kept; older ones are deleted, so a bad loop cannot fill the disk. */
export const KEEP_INVALID = 5;

/** LoadOutcome is what `load` found. Every kind carries a state to start from. */
export type LoadOutcome =
  | { readonly kind: 'loaded'; readonly state: PersistedState; readonly path: string }
  /** No file yet (first start): the empty state. */
  | { readonly kind: 'missing'; readonly state: PersistedState; readonly path: string }
  /**
   * The file could not be used: it was moved to `movedTo` (undefined if even that failed, `moveError` says
   * why) and the daemon starts with the empty state. Log at error, show in `show vpp`.
   */
  | {
      readonly kind: 'set-aside';
      readonly state: PersistedState;
      readonly path: string;
      readonly problem: StateFileProblem;
      readonly movedTo: string | undefined;
      readonly moveError: string | undefined;
    };

/** SaveOutcome is a write's result: failures (disk full, read-only, permissions) are values. */
export type SaveOutcome =
  | { readonly ok: true; readonly path: string; readonly bytes: number }
  | {
      readonly ok: false;
      readonly path: string;
      readonly message: string;
      readonly errno: string | undefined;
    };

export interface StateStoreOptions {
  /** The state directory (`--state-dir`). */
  readonly dir: string;
  readonly fs?: StateFs;
  /** Wall clock, ms since the epoch: stamps `savedAt` and set-aside names. */
  readonly now?: () => number;
}

function errText(e: unknown): { message: string; errno: string | undefined } {
  const errno =
    typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : undefined;
  return { message: e instanceof Error ? e.message : String(e), errno };
}

/**
 * StateStore owns one state file. `save` writes a temp file (fsync), renames it over the file and fsyncs
 * the directory, so at every instant the file on disk is either the old state or the new one, whole: a
 * crash or SIGKILL in between leaves the old file valid. Saves are not concurrent-safe by themselves; the
 * StateWriter serialises them.
 */
export class StateStore {
  readonly dir: string;
  readonly path: string;
  readonly tempPath: string;
  private readonly fs: StateFs;
  private readonly now: () => number;

  constructor(opts: StateStoreOptions) {
    this.dir = opts.dir;
    this.path = join(opts.dir, STATE_FILE_NAME);
    this.tempPath = `${this.path}.tmp`;
    this.fs = opts.fs ?? nodeStateFs;
    this.now = opts.now ?? Date.now;
  }

  /** load reads the file at start. Never throws: a missing file is the empty state, a bad one is set aside. */
  async load(): Promise<LoadOutcome> {
    const path = this.path;
    let text: string;
    try {
      const size = await this.fs.size(path);
      if (size > MAX_STATE_FILE_BYTES) {
        return this.setAside({
          kind: 'too-large',
          message: `the state file has ${size} bytes, more than the ${MAX_STATE_FILE_BYTES} this maglevd reads`,
        });
      }
      text = await this.fs.readFile(path);
    } catch (e) {
      const { message, errno } = errText(e);
      if (errno === 'ENOENT') return { kind: 'missing', state: emptyState(), path };
      return this.setAside({ kind: 'unreadable', message: `the state file cannot be read: ${message}` });
    }
    const d = decodeState(text);
    if (!d.ok) return this.setAside(d.problem);
    return { kind: 'loaded', state: d.state, path };
  }

  /** save writes `state` (stamped with the current time) atomically and durably. Never throws. */
  async save(state: PersistedState): Promise<SaveOutcome> {
    const text = encodeState({ ...state, savedAt: this.now() });
    try {
      await this.fs.mkdir(this.dir);
      await this.fs.writeDurable(this.tempPath, text);
      await this.fs.rename(this.tempPath, this.path);
      await this.fs.syncDir(this.dir);
      return { ok: true, path: this.path, bytes: Buffer.byteLength(text) };
    } catch (e) {
      // The old file is untouched unless the rename happened; a leftover temp file is harmless (the next
      // save truncates it) but is removed when possible.
      await this.fs.unlink(this.tempPath).catch(() => {});
      return { ok: false, path: this.path, ...errText(e) };
    }
  }

  private async setAside(problem: StateFileProblem): Promise<LoadOutcome> {
    const stamp = new Date(this.now()).toISOString().replaceAll(':', '');
    const movedTo = `${this.path}.invalid-${stamp}`;
    let moveError: string | undefined;
    try {
      await this.fs.rename(this.path, movedTo);
      await this.fs.syncDir(this.dir);
      await this.pruneInvalid();
    } catch (e) {
      moveError = errText(e).message;
    }
    return {
      kind: 'set-aside',
      state: emptyState(),
      path: this.path,
      problem,
      movedTo: moveError === undefined ? movedTo : undefined,
      moveError,
    };
  }

  /** pruneInvalid keeps the newest KEEP_INVALID set-aside files (their names sort by time). */
  private async pruneInvalid(): Promise<void> {
    const prefix = `${basename(this.path)}.invalid-`;
    const names = (await this.fs.readdir(this.dir)).filter((n) => n.startsWith(prefix)).sort();
    for (const n of names.slice(0, Math.max(0, names.length - KEEP_INVALID))) {
      await this.fs.unlink(join(this.dir, n)).catch(() => {});
    }
  }
}
