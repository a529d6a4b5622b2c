// The state file's format: version 1 of what survives a restart (operator state, recent health), as JSON text.
import { z } from 'zod';
import type { IpAddress } from '../model/address.js';
import { compareAddress, tryParseAddress } from '../model/address.js';

/** STATE_FILE_VERSION is the format written; a file of any other version is set aside, never guessed at. */
export const STATE_FILE_VERSION = 1;

/** STATE_FILE_NAME is the file inside `--state-dir`. */
export const STATE_FILE_NAME = 'state.json';

/** MAX_STATE_FILE_BYTES bounds what is read at start: 64 MiB holds far more backends than a router has. */
export const MAX_STATE_FILE_BYTES = 64 * 1024 * 1024;

/**
 * AdminState is an operator's standing decision about a backend: `paused` or `disabled` by maglevctl, or
 * `enabled` by maglevctl although the config says `enabled: false`.
 */
export type AdminState = 'paused' | 'disabled' | 'enabled';

/** HealthRecord is a backend's last verdict of probing, its rise/fall counter and when it was reached. */
export interface HealthRecord {
  readonly state: 'up' | 'down';
  readonly counter: number;
  /** ms since the epoch. */
  readonly at: number;
}

/** BackendRecord is what is kept of one backend, by name and the address it was about. */
export interface BackendRecord {
  readonly name: string;
  readonly address: IpAddress;
  readonly admin: AdminState | undefined;
  readonly health: HealthRecord | undefined;
}

/** OverrideRecord is a runtime weight override (`maglevctl set weight`) of one pool member. */
export interface OverrideRecord {
  readonly frontend: string;
  readonly pool: string;
  readonly backend: string;
  readonly address: IpAddress;
  readonly weight: number;
  readonly flush: boolean;
}

/** PersistedState is the whole file in memory. Backends by name; overrides in frontend/pool/backend order. */
export interface PersistedState {
  /** When it was written, ms since the epoch (0 for the empty state). */
  readonly savedAt: number;
  readonly backends: ReadonlyMap<string, BackendRecord>;
  readonly overrides: readonly OverrideRecord[];
}

/** emptyState is what a first start (or a start after an invalid file) begins with. */
export function emptyState(): PersistedState {
  return { savedAt: 0, backends: new Map(), overrides: [] };
}

// Names follow the config's rule (spec §3); the pattern is repeated here because src/state may not import
// src/config.
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const name = z.string().max(256).regex(NAME, { error: 'not a valid name' });
const address = z.string().transform((text, ctx) => {
  const a = tryParseAddress(text);
  if ('error' in a) {
    ctx.addIssue({ code: 'custom', message: a.error });
    return z.NEVER;
  }
  return a;
});
const time = z.iso.datetime({ offset: true }).transform((t) => Date.parse(t));

const HealthSchema = z.strictObject({
  state: z.enum(['up', 'down']),
  counter: z.int().min(0).max(1000),
  at: time,
});

const BackendSchema = z.strictObject({
  name,
  address,
  admin: z.enum(['paused', 'disabled', 'enabled']).optional(),
  health: HealthSchema.optional(),
});

const OverrideSchema = z.strictObject({
  frontend: name,
  pool: name,
  backend: name,
  address,
  weight: z.int().min(0).max(100),
  flush: z.boolean(),
});

const FileSchema = z.strictObject({
  version: z.literal(STATE_FILE_VERSION),
  savedAt: time,
  backends: z.array(BackendSchema).max(1_000_000),
  overrides: z.array(OverrideSchema).max(1_000_000),
});

/**
 * StateFileProblem says why a state file was not used. Every kind is an outcome, not a bug: the daemon logs
 * it, shows it, moves the file aside and starts without it.
 */
export type StateFileProblem =
  | { readonly kind: 'unreadable'; readonly message: string }
  | { readonly kind: 'too-large'; readonly message: string }
  | { readonly kind: 'empty'; readonly message: string }
  | { readonly kind: 'truncated'; readonly message: string }
  | { readonly kind: 'not-json'; readonly message: string }
  | { readonly kind: 'wrong-version'; readonly found: unknown; readonly message: string }
  | { readonly kind: 'invalid'; readonly issues: readonly string[]; readonly message: string };

export type Decoded =
  | { readonly ok: true; readonly state: PersistedState }
  | { readonly ok: false; readonly problem: StateFileProblem };

function issuePath(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('') || '(top)';
}

/** decodeState parses and validates a state file's text. Never throws. */
export function decodeState(text: string): Decoded {
  if (text.trim() === '') return bad({ kind: 'empty', message: 'the state file is empty' });
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    // Text that stops short fails at its very end: V8 says "end of JSON input" or names that position.
    const at = /at position (\d+)/.exec(msg);
    const truncated =
      /end of JSON input/.test(msg) || (at !== null && Number(at[1]) >= text.trimEnd().length);
    return bad(
      truncated
        ? { kind: 'truncated', message: `the state file ends early (${msg})` }
        : { kind: 'not-json', message: `the state file is not JSON (${msg})` },
    );
  }
  const version =
    typeof raw === 'object' && raw !== null && !Array.isArray(raw)
      ? (raw as Record<string, unknown>).version
      : undefined;
  if (version !== STATE_FILE_VERSION) {
    return bad({
      kind: 'wrong-version',
      found: version,
      message: `the state file has version ${JSON.stringify(version) ?? 'none'}; this maglevd reads version ${STATE_FILE_VERSION}`,
    });
  }
  const r = FileSchema.safeParse(raw);
  if (!r.success) {
    const issues = r.error.issues.slice(0, 20).map((i) => `${issuePath(i.path)}: ${i.message}`);
    return bad({ kind: 'invalid', issues, message: `the state file is invalid: ${issues.join('; ')}` });
  }
  const backends = new Map<string, BackendRecord>();
  for (const b of r.data.backends) {
    if (backends.has(b.name)) {
      const message = `the state file is invalid: backend ${b.name} appears twice`;
      return bad({ kind: 'invalid', issues: [message], message });
    }
    backends.set(b.name, { name: b.name, address: b.address, admin: b.admin, health: b.health });
  }
  const seen = new Set<string>();
  for (const o of r.data.overrides) {
    const key = `${o.frontend}/${o.pool}/${o.backend}`;
    if (seen.has(key)) {
      const message = `the state file is invalid: override ${key} appears twice`;
      return bad({ kind: 'invalid', issues: [message], message });
    }
    seen.add(key);
  }
  return {
    ok: true,
    state: { savedAt: r.data.savedAt, backends, overrides: sortOverrides(r.data.overrides) },
  };
}

function bad(problem: StateFileProblem): Decoded {
  return { ok: false, problem };
}

function sortOverrides(list: readonly OverrideRecord[]): OverrideRecord[] {
  const key = (o: OverrideRecord) => [o.frontend, o.pool, o.backend] as const;
  return [...list].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < 3; i++) {
      const x = ka[i] as string;
      const y = kb[i] as string;
      if (x !== y) return x < y ? -1 : 1;
    }
    return compareAddress(a.address, b.address);
  });
}

/** encodeState renders the state as the file's text: stable order (by name), one entry per line. */
export function encodeState(s: PersistedState): string {
  const backends = [...s.backends.values()]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((b) => ({
      name: b.name,
      address: b.address.text,
      ...(b.admin ? { admin: b.admin } : {}),
      ...(b.health
        ? {
            health: {
              state: b.health.state,
              counter: b.health.counter,
              at: new Date(b.health.at).toISOString(),
            },
          }
        : {}),
    }));
  const overrides = sortOverrides(s.overrides).map((o) => ({
    frontend: o.frontend,
    pool: o.pool,
    backend: o.backend,
    address: o.address.text,
    weight: o.weight,
    flush: o.flush,
  }));
  const lines = (xs: unknown[]) =>
    xs.length === 0 ? '[]' : `[\n${xs.map((x) => `    ${JSON.stringify(x)}`).join(',\n')}\n  ]`;
  return (
    `{\n  "version": ${STATE_FILE_VERSION},\n  "savedAt": ${JSON.stringify(new Date(s.savedAt).toISOString())},\n` +
    `  "backends": ${lines(backends)},\n  "overrides": ${lines(overrides)}\n}\n`
  );
}
