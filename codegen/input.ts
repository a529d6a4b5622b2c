// Reads and validates VPP .api.json files (vppapigen's JSON output) into plain records; errors name file and entry.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { z } from 'zod';

/** One field of a message, typedef or union, as written in the .api.json. */
export interface RawField {
  /** Wire type: a base type (`u32`, `string`, …) or `vl_api_<name>_t`. */
  readonly type: string;
  readonly name: string;
  /** Array length; 0 means variable (with `lengthField`) or legacy-to-the-end (without). */
  readonly length?: number;
  /** Name of the preceding field holding the element count of a variable array. */
  readonly lengthField?: string;
  /** `[default=…]` from the .api: a number, `false`, or the string `"true"` (a vppapigen quirk). */
  readonly default?: number | boolean | string;
}

/** A typedef or union. */
export interface RawStruct {
  readonly name: string;
  readonly fields: readonly RawField[];
  readonly comment?: string;
}

/** A message: a struct with a CRC. Fields include the leading `_vl_msg_id`. */
export interface RawMessage extends RawStruct {
  readonly crc: string;
  readonly deprecated: boolean;
}

export interface RawEnum {
  readonly name: string;
  /** Underlying integer type (vppapigen's default is u32). */
  readonly enumtype: string;
  readonly values: readonly (readonly [string, number])[];
}

export interface RawAlias {
  readonly name: string;
  readonly type: string;
  readonly length?: number;
}

export interface RawService {
  readonly request: string;
  /** Absent when the .api.json says `"null"`. */
  readonly reply?: string;
  readonly stream: boolean;
  readonly streamMsg?: string;
  readonly events: readonly string[];
}

/** One validated .api.json file. */
export interface ApiFile {
  /** Path relative to the input directory, with `/` separators (e.g. `plugins/lb.api.json`). */
  readonly path: string;
  /** The file's `module` key, or its name without `.api.json`. */
  readonly module: string;
  /** `vl_api_version` as written (Python `hex()`, not zero-padded). */
  readonly vlApiVersion: string;
  /** `options.version`, e.g. `1.2.0`. */
  readonly version: string;
  /** Imported .api paths, e.g. `vnet/ip/ip_types.api`. */
  readonly imports: readonly string[];
  readonly types: readonly RawStruct[];
  readonly unions: readonly RawStruct[];
  readonly messages: readonly RawMessage[];
  readonly enums: readonly RawEnum[];
  readonly enumflags: readonly RawEnum[];
  readonly aliases: readonly RawAlias[];
  readonly services: readonly RawService[];
}

const fieldMeta = z
  .object({
    default: z.union([z.number(), z.boolean(), z.string()]).optional(),
    limit: z.unknown().optional(),
    discriminator: z.string().optional(),
    case: z.unknown().optional(),
  })
  .loose();
const name = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'not an identifier');
const count = z.number().int().nonnegative();
const field = z.union([
  z.tuple([name, name]),
  z.tuple([name, name, fieldMeta]),
  z.tuple([name, name, count]),
  z.tuple([name, name, count, fieldMeta]),
  z.tuple([name, name, count, name]),
  z.tuple([name, name, count, name, fieldMeta]),
]);
const structMeta = z.object({ comment: z.string().optional() }).loose();
const struct = z.tuple([name], z.union([field, structMeta]));
const messageMeta = z
  .object({
    crc: z.string().regex(/^0x[0-9a-fA-F]{1,8}$/, 'crc must be 0x and up to 8 hex digits'),
    options: z.record(z.string(), z.unknown()).optional(),
    comment: z.string().optional(),
  })
  .loose();
const message = z.tuple([name], z.union([field, messageMeta]));
const enumEntry = z.tuple(
  [name],
  z.union([z.tuple([name, z.number().int()]), z.object({ enumtype: z.string() })]),
);
const fileSchema = z
  .object({
    module: name.optional(),
    vl_api_version: z.string().regex(/^0x[0-9a-fA-F]+$/, 'must be a hex number'),
    options: z.object({ version: z.string().optional() }).loose().optional(),
    imports: z.array(z.string()).default([]),
    types: z.array(struct).default([]),
    unions: z.array(struct).default([]),
    messages: z.array(message).default([]),
    enums: z.array(enumEntry).default([]),
    enumflags: z.array(enumEntry).default([]),
    aliases: z.record(name, z.object({ type: name, length: count.optional() }).loose()).default({}),
    services: z
      .record(
        name,
        z
          .object({
            reply: name,
            stream: z.boolean().optional(),
            stream_msg: name.optional(),
            events: z.array(name).optional(),
          })
          .loose(),
      )
      .default({}),
  })
  .loose();

/** InputError: an .api.json file is unreadable or does not match the schema; the message names file and entry. */
export class InputError extends Error {
  override readonly name = 'InputError';
}

function entryLabel(json: unknown, path: readonly PropertyKey[]): string {
  const [section, index, ...rest] = path;
  if (section === undefined) return '';
  let label = String(section);
  if (typeof index === 'number' && json && typeof json === 'object') {
    const list = (json as Record<string, unknown>)[String(section)];
    const entry = Array.isArray(list) ? (list[index] as unknown) : undefined;
    const entryName = Array.isArray(entry) && typeof entry[0] === 'string' ? entry[0] : undefined;
    label += entryName ? ` entry "${entryName}" (#${index})` : ` #${index}`;
  } else if (index !== undefined) {
    label += ` entry "${String(index)}"`;
  }
  if (rest.length > 0) label += ` at [${rest.map(String).join('][')}]`;
  return label;
}

function valueAt(json: unknown, path: readonly PropertyKey[]): unknown {
  let v = json;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

function toField(raw: readonly unknown[]): RawField {
  const [type, fname, third, fourth, fifth] = raw as [string, string, unknown, unknown, unknown];
  const meta = [third, fourth, fifth].find((x) => x !== null && typeof x === 'object') as
    | z.infer<typeof fieldMeta>
    | undefined;
  return {
    type,
    name: fname,
    ...(typeof third === 'number' ? { length: third } : {}),
    ...(typeof fourth === 'string' ? { lengthField: fourth } : {}),
    ...(meta?.default !== undefined ? { default: meta.default } : {}),
  };
}

function splitStruct(entry: readonly unknown[]): { fields: RawField[]; metas: Record<string, unknown>[] } {
  const fields: RawField[] = [];
  const metas: Record<string, unknown>[] = [];
  for (const item of entry.slice(1)) {
    if (Array.isArray(item)) fields.push(toField(item));
    else metas.push(item as Record<string, unknown>);
  }
  return { fields, metas };
}

function toEnum(entry: readonly unknown[]): RawEnum {
  const values: [string, number][] = [];
  let enumtype = 'u32';
  for (const item of entry.slice(1)) {
    if (Array.isArray(item)) values.push([item[0] as string, item[1] as number]);
    else enumtype = (item as { enumtype: string }).enumtype;
  }
  return { name: entry[0] as string, enumtype, values };
}

/**
 * parseApiFile validates one .api.json document. `path` is used in error messages and kept in the result.
 * Throws InputError naming the file and the offending entry.
 */
export function parseApiFile(path: string, text: string): ApiFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new InputError(`${path}: not valid JSON: ${(e as Error).message}`);
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) {
    const lines = parsed.error.issues.slice(0, 5).map((i) => {
      const got = JSON.stringify(valueAt(json, i.path)) ?? 'nothing';
      const shown = got.length > 60 ? `${got.slice(0, 60)}…` : got;
      return `  ${entryLabel(json, i.path)}: ${i.message} (got ${shown})`;
    });
    throw new InputError(`${path}: does not match the .api.json schema:\n${lines.join('\n')}`);
  }
  const d = parsed.data;
  const messages: RawMessage[] = d.messages.map((entry, index) => {
    const { fields, metas } = splitStruct(entry);
    const meta = metas.find((m) => typeof m.crc === 'string') as z.infer<typeof messageMeta> | undefined;
    if (!meta)
      throw new InputError(`${path}: messages entry "${entry[0]}" (#${index}): no {"crc": …} dictionary`);
    if (fields[0]?.name !== '_vl_msg_id' || fields[0].type !== 'u16') {
      throw new InputError(
        `${path}: messages entry "${entry[0]}" (#${index}): first field must be u16 _vl_msg_id`,
      );
    }
    return {
      name: entry[0],
      fields,
      crc: `0x${meta.crc.slice(2).toLowerCase().padStart(8, '0')}`,
      deprecated: meta.options !== undefined && 'deprecated' in meta.options,
      ...(meta.comment !== undefined ? { comment: meta.comment } : {}),
    };
  });
  const structs = (list: readonly (readonly unknown[])[]): RawStruct[] =>
    list.map((entry) => {
      const { fields, metas } = splitStruct(entry);
      const comment = metas.find((m) => typeof m.comment === 'string')?.comment as string | undefined;
      return { name: entry[0] as string, fields, ...(comment !== undefined ? { comment } : {}) };
    });
  const fileName = basename(path);
  return {
    path,
    module: d.module ?? fileName.replace(/\.api\.json$/, ''),
    vlApiVersion: d.vl_api_version.toLowerCase(),
    version: d.options?.version ?? '',
    imports: d.imports,
    types: structs(d.types),
    unions: structs(d.unions),
    messages,
    enums: d.enums.map(toEnum),
    enumflags: d.enumflags.map(toEnum),
    aliases: Object.entries(d.aliases)
      .map(([n, a]) => ({ name: n, type: a.type, ...(a.length !== undefined ? { length: a.length } : {}) }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    services: Object.entries(d.services).map(([request, s]) => ({
      request,
      ...(s.reply !== 'null' ? { reply: s.reply } : {}),
      stream: s.stream === true && s.stream_msg === undefined,
      ...(s.stream_msg !== undefined ? { streamMsg: s.stream_msg } : {}),
      events: s.events ?? [],
    })),
  };
}

/** readApiDir reads every *.api.json below `dir` (sorted by relative path) and its VERSION.txt, if any. */
export function readApiDir(dir: string): { files: ApiFile[]; vppVersion: string } {
  const found: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d).sort()) {
      const p = join(d, entry);
      if (statSync(p).isDirectory()) walk(p);
      else if (entry.endsWith('.api.json')) found.push(p);
    }
  };
  walk(dir);
  const rel = (p: string) => relative(dir, p).split('\\').join('/');
  found.sort((a, b) => (rel(a) < rel(b) ? -1 : rel(a) > rel(b) ? 1 : 0));
  const files = found.map((p) => parseApiFile(rel(p), readFileSync(p, 'utf8')));
  let vppVersion = 'unknown';
  try {
    vppVersion = parseVppVersion(readFileSync(join(dir, 'VERSION.txt'), 'utf8'));
  } catch {
    // No VERSION.txt: headers say "unknown".
  }
  return { files, vppVersion };
}

/** parseVppVersion extracts `v26.10-rc0~374-g…` from a VERSION.txt written next to the pinned files. */
export function parseVppVersion(text: string): string {
  const m = /show version:\s*vpp\s+(\S+)/.exec(text) ?? /\bvpp\s+(v\d\S*)/.exec(text);
  return m?.[1] ?? 'unknown';
}
