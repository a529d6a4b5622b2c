// Runs a zod schema over YAML data and turns its issues into ConfigIssues with positions and plain messages.
import type { z } from 'zod';
import type { ConfigIssue, KeyPath } from './issues.js';
import { pathText } from './issues.js';
import type { SourcePositions } from './positions.js';
import {
  describeValue,
  HttpCheckSchema,
  HttpsCheckSchema,
  IcmpCheckSchema,
  TcpCheckSchema,
} from './schema.js';
import { suggest } from './suggest.js';

/** Which healthcheck types accept a key: for "unknown key" messages that name the right type. */
const CHECK_KEY_TYPES: ReadonlyMap<string, readonly string[]> = (() => {
  const m = new Map<string, string[]>();
  for (const [t, s] of [
    ['icmp', IcmpCheckSchema],
    ['tcp', TcpCheckSchema],
    ['http', HttpCheckSchema],
    ['https', HttpsCheckSchema],
  ] as const) {
    for (const k of Object.keys(s.shape)) m.set(k, [...(m.get(k) ?? []), t]);
  }
  return m;
})();

/** Keys of IPng's vpp-maglev that maglevd does not take, with what to do instead. */
const FOREIGN_KEY_HINTS: ReadonlyMap<string, string> = new Map([
  [
    'netns',
    'probing from a network namespace is done by the service unit (systemd NetworkNamespacePath=), not the config',
  ],
]);

const SECTION_KEYS = new Set(['healthchecker', 'vpp', 'healthchecks', 'backends', 'frontends']);

function unknownKeyMessage(
  key: string,
  parent: KeyPath,
  allowed: readonly string[] | undefined,
  data: unknown,
): string {
  const base = `unknown key "${key}"`;
  const foreign = FOREIGN_KEY_HINTS.get(key);
  if (foreign !== undefined) return `${base}: ${foreign}`;
  if (parent.length === 0 && SECTION_KEYS.has(key))
    return `${base}: it belongs under the top-level key maglev`;
  // Healthcheck keys depend on the type: say which types take it, rather than a bare "unknown".
  if (parent.length === 3 && parent[1] === 'healthchecks') {
    const types = CHECK_KEY_TYPES.get(key);
    const t = (data as { type?: unknown } | undefined)?.type;
    if (types !== undefined)
      return `${base} for type ${String(t)}: it applies only to type ${types.join(', ')}`;
  }
  const guess = allowed === undefined ? undefined : suggest(key, allowed);
  if (guess !== undefined) return `${base} (did you mean "${guess}"?)`;
  return allowed === undefined ? base : `${base} (allowed here: ${allowed.join(', ')})`;
}

function valueAt(root: unknown, path: KeyPath): unknown {
  let v = root;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

/** A raw issue as the error map sees it: the full path and the schema that raised it are known here. */
interface MapIssue {
  code?: string;
  path?: PropertyKey[];
  input?: unknown;
  expected?: string;
  inst?: unknown;
  note?: string;
  discriminator?: string;
  options?: unknown[];
  minimum?: unknown;
  maximum?: unknown;
  origin?: string;
}

function quoted(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : describeValue(v);
}

function shapeKeys(inst: unknown): string[] | undefined {
  const shape = (inst as { _zod?: { def?: { shape?: Record<string, unknown> } } })?._zod?.def?.shape;
  return shape === undefined ? undefined : Object.keys(shape);
}

/**
 * parseWithSchema validates `data` (found at `base` in the document) and returns the parsed value or the
 * issues, each positioned in the file and worded for the operator.
 */
export function parseWithSchema<S extends z.ZodType>(
  schema: S,
  data: unknown,
  base: KeyPath,
  positions: SourcePositions,
  file: string,
): { ok: true; value: z.output<S> } | { ok: false; issues: ConfigIssue[] } {
  const allowedByPath = new Map<string, string[]>();
  const pathKey = (p: readonly PropertyKey[]) => JSON.stringify(p);
  const errorMap = (iss: MapIssue): string | undefined => {
    const path = iss.path ?? [];
    const last = path[path.length - 1];
    switch (iss.code) {
      case 'unrecognized_keys': {
        const keys = shapeKeys(iss.inst);
        if (keys !== undefined) allowedByPath.set(pathKey(path), keys);
        return 'unknown key';
      }
      case 'invalid_type':
        if (iss.input === undefined) return `missing required key "${String(last)}"`;
        return `expected ${iss.expected ?? 'another type'}, got ${describeValue(iss.input)}`;
      case 'invalid_union':
        if (iss.discriminator !== undefined) {
          const opts = (iss.options ?? []).map(String).join(', ');
          return iss.input === undefined ||
            (iss.input as Record<string, unknown>)[iss.discriminator] === undefined
            ? `missing required key "${iss.discriminator}" (one of ${opts})`
            : `unknown ${iss.discriminator} ${quoted((iss.input as Record<string, unknown>)[iss.discriminator])}: use one of ${opts}`;
        }
        return `${describeValue(iss.input)} is not allowed here`;
      case 'too_small':
        return `needs at least ${String(iss.minimum)}`;
      case 'too_big':
        return `allows at most ${String(iss.maximum)}`;
      default:
        return undefined;
    }
  };

  const r = schema.safeParse(data, { error: errorMap, reportInput: true });
  if (r.success) return { ok: true, value: r.data };

  const issues: ConfigIssue[] = [];
  const add = (path: KeyPath, at: 'key' | 'value', message: string) => {
    const full = [...base, ...path];
    const pos = positions.locate(full, at);
    issues.push({ file, line: pos.line, col: pos.col, path: pathText(full), message });
  };
  for (const iss of r.error.issues) {
    const path = iss.path.filter((p): p is string | number => typeof p !== 'symbol');
    switch (iss.code) {
      case 'unrecognized_keys': {
        const allowed = allowedByPath.get(pathKey(iss.path));
        const parent = [...base, ...path];
        for (const k of iss.keys) {
          add([...path, k], 'key', unknownKeyMessage(k, parent, allowed, valueAt(data, path)));
        }
        break;
      }
      case 'invalid_key': {
        const inner = iss.issues[0]?.message ?? 'invalid name';
        add(path, 'key', inner);
        break;
      }
      default:
        add(path, 'value', iss.message);
    }
  }
  return { ok: false, issues };
}
