// Generator test: small hand-written .api.json inputs covering each construct, generated, imported and run.
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MessageDef } from '../../binapi/runtime/index.js';
import { DecodeError, EncodeError } from '../../binapi/runtime/index.js';
import { generate } from '../../codegen/generate.js';
import { InputError, parseApiFile, parseVppVersion } from '../../codegen/input.js';

type Def = MessageDef<Record<string, unknown>, Record<string, unknown>>;
type Mod = Record<string, unknown>;

const root = fileURLToPath(new URL('../../', import.meta.url));
const work = join(root, '.tmp', `codegen-test-${process.pid}`);
const crc = (n: number) => ({ crc: `0x${n.toString(16).padStart(8, '0')}`, options: {} });
const HDR = [['u16', '_vl_msg_id']];
const REQ = [...HDR, ['u32', 'client_index'], ['u32', 'context']];
const REP = [...HDR, ['u32', 'context']];

const sharedTypes = {
  types: [
    ['pair', ['u16', 'a'], ['i8', 'b']],
    ['with_vla', ['u8', 'n'], ['u16', 'items', 0, 'n']],
  ],
  unions: [['either', ['u32', 'num'], ['vl_api_addr4_t', 'ip'], ['vl_api_pair_t', 'p']]],
  enums: [
    ['color', ['RED', 1], ['GREEN', 2], { enumtype: 'u8' }],
    ['wide', ['W_A', 256], { enumtype: 'u16' }],
    ['plain', ['P_A', 7], { enumtype: 'u32' }],
  ],
  enumflags: [['bits', ['B1', 1], ['B2', 2], { enumtype: 'u8' }]],
  aliases: {
    addr4: { type: 'u8', length: 4 },
    idx: { type: 'u32' },
    quad: { type: 'u32', length: 4 },
    pair_alias: { type: 'vl_api_pair_t' },
    ts: { type: 'f64' },
  },
};

const base = {
  module: 'base',
  vl_api_version: '0x1234abc',
  options: { version: '1.0.0' },
  imports: [],
  ...sharedTypes,
  messages: [
    [
      'scalars',
      ...REQ,
      ['u8', 'a'],
      ['i8', 'b'],
      ['u16', 'c'],
      ['i16', 'd'],
      ['u32', 'e'],
      ['i32', 'f'],
      ['u64', 'g'],
      ['i64', 'h'],
      ['f64', 'x'],
      ['bool', 'flag', { default: 'true' }],
      ['u32', 'big', { default: 1024 }],
      ['vl_api_color_t', 'col'],
      ['vl_api_wide_t', 'w'],
      ['vl_api_plain_t', 'pl'],
      ['vl_api_bits_t', 'bits'],
      ['vl_api_idx_t', 'i'],
      ['vl_api_ts_t', 't'],
      crc(1),
    ],
    ['scalars_reply', ...REP, ['i32', 'retval'], crc(2)],
    ['strings', ...REQ, ['string', 'name', 8], ['string', 'text', 0], crc(3)],
    [
      'arrays',
      ...REP,
      ['u8', 'mac', 6],
      ['u32', 'nums', 3],
      ['vl_api_pair_t', 'pairs', 2],
      ['vl_api_quad_t', 'q'],
      ['vl_api_either_t', 'u'],
      ['vl_api_pair_alias_t', 'pa'],
      ['u16', 'count'],
      ['u32', 'vla', 0, 'count'],
      crc(4),
    ],
    ['legacy', ...REP, ['u32', 'items', 0], crc(5)],
    ['nested', ...REP, ['u64', 'n'], ['vl_api_with_vla_t', 'items', 0, 'n'], crc(6)],
    ['bytes_vla', ...HDR, ['u32', 'client_index'], ['u8', 'len'], ['u8', 'data', 0, 'len'], crc(7)],
    ['thing_dump', ...REQ, crc(8)],
    ['thing_details', ...REP, ['u32', 'id'], crc(9)],
    ['thing_get', ...REQ, ['u32', 'cursor'], crc(10)],
    ['thing_get_reply', ...REP, ['i32', 'retval'], ['u32', 'cursor'], crc(11)],
    ['thing_details2', ...REP, ['u32', 'id'], crc(12)],
    ['want_things', ...REQ, ['bool', 'enable'], crc(13)],
    ['want_things_reply', ...REP, ['i32', 'retval'], crc(14)],
    ['thing_event', ...HDR, ['u32', 'client_index'], ['u32', 'id'], crc(15)],
    ['odd', ...HDR, ['u8', 'x'], crc(16)],
  ],
  services: {
    scalars: { reply: 'scalars_reply' },
    thing_dump: { reply: 'thing_details', stream: true },
    thing_get: { reply: 'thing_get_reply', stream: true, stream_msg: 'thing_details2' },
    want_things: { reply: 'want_things_reply', events: ['thing_event'] },
    odd: { reply: 'null' },
  },
  counters: [],
  paths: [],
};

// An importing module: vppapigen inlines the imported types (twice here, as it does for repeated imports).
const other = {
  vl_api_version: '0xfe',
  options: { version: '2.0.0' },
  imports: ['x/base.api', 'y/base.api'],
  types: [...sharedTypes.types, ...sharedTypes.types],
  unions: sharedTypes.unions,
  enums: sharedTypes.enums,
  enumflags: sharedTypes.enumflags,
  aliases: sharedTypes.aliases,
  messages: [['use_pair', ...REP, ['vl_api_pair_t', 'p'], ['vl_api_color_t', 'c'], crc(0xabcdef)]],
  services: {},
};

let files: Map<string, string>;
let baseMod: Mod;
let otherMod: Mod;
let index: Mod;

const def = (m: Mod, name: string) => m[`${name}Def`] as Def;
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

beforeAll(async () => {
  files = generate(
    [
      parseApiFile('core/base.api.json', JSON.stringify(base)),
      parseApiFile('plugins/other.api.json', JSON.stringify(other)),
    ],
    'v1.2.3',
  );
  mkdirSync(work, { recursive: true });
  symlinkSync(join(root, 'binapi', 'runtime'), join(work, 'runtime'));
  for (const [name, text] of files) writeFileSync(join(work, name), text);
  baseMod = (await import(join(work, 'base.ts'))) as Mod;
  otherMod = (await import(join(work, 'other.ts'))) as Mod;
  index = (await import(join(work, 'index.ts'))) as Mod;
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('generated module layout', () => {
  it('writes one module per file (named by `module`, else by file name) and an index', () => {
    expect([...files.keys()]).toEqual(['base.ts', 'index.ts', 'other.ts']);
    const head = files.get('base.ts')?.split('\n')[0] ?? '';
    expect(head).toContain('core/base.api.json');
    expect(head).toContain('v1.2.3');
    expect(head).toContain('0x1234abc');
    expect(head).toContain('do not edit');
    expect(files.get('base.ts')).toContain("import { BINAPI_RUNTIME_ABI_1 } from './runtime/abi.js';");
    expect(baseMod.VL_API_VERSION).toBe(0x01234abc);
  });

  it('defines imported types once, in the module that owns them, and imports them elsewhere', () => {
    const text = files.get('other.ts') ?? '';
    expect(text).toMatch(/import type \{[^}]*\bPair\b[^}]*\} from '\.\/base\.js';/);
    expect(text).not.toContain('export interface Pair ');
    expect(files.get('base.ts')).toContain('export interface Pair {');
    const u = def(otherMod, 'UsePair');
    expect(hex(u.encode(1, { context: 2, p: { a: 3, b: -1 }, c: 1 }))).toBe('00010000000200' + '03ff01');
  });

  it('type-checks under the strict project settings', () => {
    const program = ts.createProgram(
      ['base.ts', 'other.ts', 'index.ts'].map((f) => join(work, f)),
      {
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        strict: true,
        noUncheckedIndexedAccess: true,
        noUnusedLocals: true,
        noUnusedParameters: true,
        noImplicitReturns: true,
        verbatimModuleSyntax: true,
        isolatedModules: true,
        skipLibCheck: true,
        lib: ['lib.es2023.d.ts'],
        noEmit: true,
        types: ['node'],
        typeRoots: [join(root, 'node_modules', '@types')],
      },
    );
    const diagnostics = ts
      .getPreEmitDiagnostics(program)
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(diagnostics).toEqual([]);
  });

  it('generates the same text twice', () => {
    const again = generate(
      [
        parseApiFile('core/base.api.json', JSON.stringify(base)),
        parseApiFile('plugins/other.api.json', JSON.stringify(other)),
      ],
      'v1.2.3',
    );
    expect(again).toEqual(files);
  });

  it('registers every message by name_crc and exposes enum constants', () => {
    const reg = index.messagesByNameCrc as ReadonlyMap<string, Def>;
    expect(reg.size).toBe(17);
    expect(reg.get('scalars_00000001')?.name).toBe('scalars');
    expect(reg.get('use_pair_00abcdef')?.module).toBe('other');
    expect(baseMod.Color).toEqual({ RED: 1, GREEN: 2 });
  });
});

describe('message kinds and services', () => {
  it('classifies headers and links replies, dumps, get-streams and events', () => {
    expect(def(baseMod, 'Scalars').kind).toBe('request');
    expect(def(baseMod, 'ScalarsReply').kind).toBe('reply');
    expect(def(baseMod, 'ThingEvent').kind).toBe('event');
    expect(def(baseMod, 'Odd').kind).toBe('other');
    expect(def(baseMod, 'Scalars').reply).toBe(def(baseMod, 'ScalarsReply'));
    expect(def(baseMod, 'ThingDump').reply).toBe(def(baseMod, 'ThingDetails'));
    expect(def(baseMod, 'ThingDump').stream).toBe(true);
    expect(def(baseMod, 'ThingGet').reply).toBe(def(baseMod, 'ThingGetReply'));
    expect(def(baseMod, 'ThingGet').details).toBe(def(baseMod, 'ThingDetails2'));
    expect(def(baseMod, 'ThingGet').stream).toBeUndefined();
    expect(def(baseMod, 'WantThings').events).toEqual([def(baseMod, 'ThingEvent')]);
    expect(def(baseMod, 'Odd').reply).toBeUndefined();
  });

  it('types a get-stream definition with its reply and its details, so a client can type both', () => {
    const text = files.get('base.ts') ?? '';
    expect(text).toContain(
      'export const ThingGetDef: MessageDef<ThingGetInput, ThingGet, MessageDef<ThingGetReplyInput, ThingGetReply>, MessageDef<ThingDetails2Input, ThingDetails2>> = {',
    );
    expect(text).toContain(
      'get details(): MessageDef<ThingDetails2Input, ThingDetails2> { return ThingDetails2Def; },',
    );
  });
});

describe('encoding rules', () => {
  it('packs every scalar big-endian, f64 little-endian, and applies defaults (string "true" is true)', () => {
    const d = def(baseMod, 'Scalars');
    const v = {
      a: 1,
      b: -2,
      c: 0x0304,
      d: -3,
      e: 0x05060708,
      f: -4,
      g: 0x090a0b0c0d0e0f10n,
      h: -5n,
      x: 1.5,
      col: 2,
      w: 0x100,
      pl: 7,
      bits: 3,
      i: 9,
      t: 0.25,
    };
    const bytes = d.encode(1, v);
    expect(d.minSize).toBe(73);
    expect(d.fixedSize).toBe(true);
    expect(hex(bytes)).toBe(
      '0001' +
        '00000000' +
        '00000000' +
        '01fe0304fffd05060708fffffffc' +
        '090a0b0c0d0e0f10fffffffffffffffb' +
        '000000000000f83f' +
        '01' +
        '00000400' +
        '02' +
        '0100' +
        '00000007' +
        '03' +
        '00000009' +
        '000000000000d03f',
    );
    expect(d.decode(bytes)).toEqual({ ...v, client_index: 0, context: 0, flag: true, big: 1024 });
  });

  it('decodes enum values outside the enum', () => {
    const d = def(baseMod, 'Scalars');
    const bytes = d.encode(1, {
      a: 0,
      b: 0,
      c: 0,
      d: 0,
      e: 0,
      f: 0,
      g: 0n,
      h: 0n,
      x: 0,
      col: 200,
      w: 0,
      pl: 99,
      bits: 0xff,
      i: 0,
      t: 0,
    });
    expect(d.decode(bytes)).toMatchObject({ col: 200, pl: 99, bits: 0xff });
  });

  it('NUL-pads string[N] and length-prefixes string[] (UTF-8)', () => {
    const d = def(baseMod, 'Strings');
    const bytes = d.encode(2, { context: 5, name: 'abc', text: 'héllo' });
    expect(hex(bytes)).toBe(
      '0002' + '00000000' + '00000005' + '6162630000000000' + '00000006' + '68c3a96c6c6f',
    );
    expect(d.decode(bytes)).toEqual({ client_index: 0, context: 5, name: 'abc', text: 'héllo' });
    expect(d.fixedSize).toBe(false);
    expect(d.minSize).toBe(2 + 8 + 8 + 4);
    expect(() => d.encode(2, { name: 'abcdefgh', text: '' })).toThrow(EncodeError);
    expect(d.decode(d.encode(2, { name: 'abcdefg', text: '' })).name).toBe('abcdefg');
  });

  it('lays out fixed arrays, aliases of arrays and structs, unions and a VLA with its count', () => {
    const d = def(baseMod, 'Arrays');
    const bytes = d.encode(3, {
      context: 1,
      mac: new Uint8Array([1, 2, 3, 4, 5, 6]),
      nums: [7, 8, 9],
      pairs: [
        { a: 1, b: -1 },
        { a: 2, b: 2 },
      ],
      q: [1, 2, 3, 4],
      u: { p: { a: 0x0102, b: -1 } },
      pa: { a: 2, b: 3 },
      vla: [1, 2],
    });
    expect(hex(bytes)).toBe(
      '0003' +
        '00000001' +
        '010203040506' +
        '000000070000000800000009' +
        '0001ff' +
        '000202' +
        '00000001000000020000000300000004' +
        '0102ff00' +
        '000203' +
        '0002' +
        '0000000100000002',
    );
    expect(d.decode(bytes)).toEqual({
      context: 1,
      mac: new Uint8Array([1, 2, 3, 4, 5, 6]),
      nums: [7, 8, 9],
      pairs: [
        { a: 1, b: -1 },
        { a: 2, b: 2 },
      ],
      q: [1, 2, 3, 4],
      u: new Uint8Array([1, 2, 0xff, 0]),
      pa: { a: 2, b: 3 },
      count: 2,
      vla: [1, 2],
    });
    // The union is as large as its largest arm (u32 / addr4 = 4 bytes; pair = 3).
    const ip = d.encode(3, { ...d.decode(bytes), u: { ip: new Uint8Array([10, 0, 0, 1]) } });
    expect(hex(ip.subarray(46, 50))).toBe('0a000001');
  });

  it('runs a legacy [0] array without count to the end of the message', () => {
    const d = def(baseMod, 'Legacy');
    const bytes = d.encode(4, { context: 0, items: [1, 2, 3] });
    expect(bytes).toHaveLength(2 + 4 + 12);
    expect(d.decode(bytes).items).toEqual([1, 2, 3]);
    const ragged = new Uint8Array(bytes.length + 2);
    ragged.set(bytes);
    expect(() => d.decode(ragged)).toThrow(DecodeError);
  });

  it('handles a VLA of variable-size structs counted by a u64', () => {
    const d = def(baseMod, 'Nested');
    const v = {
      context: 0,
      n: 2n,
      items: [
        { n: 1, items: [5] },
        { n: 0, items: [] },
      ],
    };
    const bytes = d.encode(5, v);
    expect(hex(bytes)).toBe('0005' + '00000000' + '0000000000000002' + '010005' + '00');
    expect(d.decode(bytes)).toEqual(v);
    expect(() => d.decode(bytes.subarray(0, bytes.length - 1))).toThrow(DecodeError);
  });

  it('encodes u8 VLAs from Uint8Array and checks the count type', () => {
    const d = def(baseMod, 'BytesVla');
    expect(hex(d.encode(6, { client_index: 1, data: new Uint8Array([9, 8, 7]) }))).toBe(
      '0006' + '00000001' + '03090807',
    );
    expect(() => d.encode(6, { client_index: 1, data: new Uint8Array(256) })).toThrow(/VLA count overflow/);
  });
});

describe('input validation', () => {
  it('parses VERSION.txt', () => {
    expect(parseVppVersion('show version:   vpp v26.10-rc0~374-gb575ec2c56d built by root')).toBe(
      'v26.10-rc0~374-gb575ec2c56d',
    );
  });

  const bad = (doc: unknown) => () =>
    generate([parseApiFile('plugins/bad.api.json', JSON.stringify(doc))], 'v');
  const minimal = { vl_api_version: '0x1', messages: [] };

  it('names the file and the entry of a message without a crc', () => {
    expect(bad({ ...minimal, messages: [['nocrc', ...HDR]] })).toThrow(InputError);
    expect(bad({ ...minimal, messages: [['nocrc', ...HDR]] })).toThrow(
      /bad\.api\.json.*messages entry "nocrc"/,
    );
  });

  it('names the file, entry and field of an unknown type', () => {
    expect(bad({ ...minimal, messages: [['m', ...HDR, ['vl_api_nope_t', 'f'], crc(1)]] })).toThrow(
      /bad\.api\.json: messages entry "m" \(#0\), field f: unknown type vl_api_nope_t/,
    );
  });

  it('names the entry of a malformed field and of a misplaced count field', () => {
    expect(bad({ ...minimal, messages: [['m', ...HDR, [7, 'f'], crc(1)]] })).toThrow(
      /bad\.api\.json: does not match the \.api\.json schema:\n {2}messages entry "m" \(#0\) at \[2\]: Invalid input \(got \[7,"f"\]\)/,
    );
    expect(bad({ ...minimal, messages: [['m', ...HDR, ['u32', 'v', 0, 'n'], ['u8', 'n'], crc(1)]] })).toThrow(
      /messages entry "m".*field v: count field n does not precede it/,
    );
    expect(() => parseApiFile('plugins/bad.api.json', '{')).toThrow(/bad\.api\.json: not valid JSON/);
  });

  it('refuses a variable array of a zero-size type (a hostile count could spin the decoder)', () => {
    expect(
      bad({ ...minimal, types: [['empty']], messages: [['m', ...HDR, ['vl_api_empty_t', 'e', 0], crc(1)]] }),
    ).toThrow(/messages entry "m".*field e: variable array of a zero-size type/);
  });
});
