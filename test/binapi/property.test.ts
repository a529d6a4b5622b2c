// Property tests: random valid values round-trip through every lb/ip/memclnt/vpe message; bad bytes raise DecodeError only.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError, messagesByNameCrc } from 'vpp-binapi-ts';
import type { MessageDef } from 'vpp-binapi-ts/runtime';
import { messageArb, pinnedModel } from './arbitrary.js';

const ROUND_TRIP_MODULES = ['lb', 'lb_types', 'ip_types', 'memclnt', 'vpe'];
const model = pinnedModel();
const messages = model.modules
  .filter((m) => ROUND_TRIP_MODULES.includes(m.module))
  .flatMap((m) => m.messages.map((msg) => [`${m.module}.${msg.name}`, msg] as const));

function defOf(name: string, crc: string): MessageDef {
  const def = messagesByNameCrc.get(`${name}_${crc.slice(2)}`);
  if (!def) throw new Error(`${name} is not in the registry`);
  return def;
}

/** decodeOrDecodeError decodes and fails the property on any error other than DecodeError. */
function decodeOrDecodeError(def: MessageDef, bytes: Uint8Array): void {
  try {
    def.decode(bytes);
  } catch (e) {
    if (!(e instanceof DecodeError))
      throw new Error(`${def.name} threw ${String(e)} instead of a DecodeError`);
    expect(e.code).toBe('ERR_DECODE');
    expect(e.messageName).toBe(def.name);
  }
}

describe('round trip of random valid values', () => {
  it('covers the modules the issue names', () => {
    const names = messages.map(([label]) => label);
    expect(names).toContain('lb.lb_add_del_as_v2');
    expect(names).toContain('memclnt.sockclnt_create_reply');
    expect(names).toContain('vpe.show_version_reply');
  });

  it.each(messages)('%s: decode(encode(v)) equals v', (_label, msg) => {
    const def = defOf(msg.name, msg.crc);
    fc.assert(
      fc.property(messageArb(msg), fc.integer({ min: 0, max: 0xffff }), (v, id) => {
        const bytes = def.encode(id, v);
        expect((bytes[0] as number) * 256 + (bytes[1] as number)).toBe(id);
        if (def.fixedSize) expect(bytes.length).toBe(def.minSize);
        expect(def.decode(bytes)).toEqual(v);
      }),
      { numRuns: 40 },
    );
  });
});

const hostile = model.modules
  .filter((m) => m.module === 'lb' || m.module === 'memclnt')
  .flatMap((m) => m.messages.map((msg) => [`${m.module}.${msg.name}`, msg] as const));

describe('hostile bytes into lb and memclnt decoders', () => {
  it.each(hostile)('%s: random bytes decode or raise DecodeError', (_label, msg) => {
    const def = defOf(msg.name, msg.crc);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: def.minSize + 80 }), (bytes) => decodeOrDecodeError(def, bytes)),
      { numRuns: 60 },
    );
  });

  it.each(hostile)(
    '%s: every truncation of a valid payload raises DecodeError or decodes a shorter value',
    (_l, msg) => {
      const def = defOf(msg.name, msg.crc);
      fc.assert(
        fc.property(messageArb(msg), (v) => {
          const bytes = def.encode(1, v);
          for (let len = 0; len < bytes.length; len++) {
            const cut = bytes.subarray(0, len);
            if (len < def.minSize) {
              expect(() => def.decode(cut)).toThrow(DecodeError);
            } else decodeOrDecodeError(def, cut);
          }
        }),
        { numRuns: 10 },
      );
    },
  );
});

describe('all 55 modules', () => {
  it('every message round-trips and survives random bytes (a few runs each)', () => {
    let count = 0;
    for (const m of model.modules) {
      for (const msg of m.messages) {
        const def = defOf(msg.name, msg.crc);
        fc.assert(
          fc.property(messageArb(msg), fc.uint8Array({ maxLength: def.minSize + 40 }), (v, junk) => {
            expect(def.decode(def.encode(3, v))).toEqual(v);
            decodeOrDecodeError(def, junk);
          }),
          { numRuns: 4 },
        );
        count++;
      }
    }
    expect(count).toBe(messagesByNameCrc.size);
  });
});
