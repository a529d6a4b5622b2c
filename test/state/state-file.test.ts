// The state file's format: a round trip for any state, and every kind of bad file named, never thrown.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAddress } from '../../src/model/address.js';
import {
  type BackendRecord,
  decodeState,
  encodeState,
  type PersistedState,
  STATE_FILE_VERSION,
} from '../../src/state/state-file.js';
import { backend, sample, state, T0 } from './builders.js';

const nameArb = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,20}$/);
const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((b) => b.join('.'));
const v6 = fc
  .array(fc.nat(0xffff), { minLength: 8, maxLength: 8 })
  .map((w) => w.map((x) => x.toString(16)).join(':'));
const addrArb = fc.oneof(v4, v6).map((t) => parseAddress(t));
const timeArb = fc.integer({ min: Date.parse('2000-01-01'), max: Date.parse('2100-01-01') });
const healthArb = fc.record({
  state: fc.constantFrom('up' as const, 'down' as const),
  counter: fc.nat(1000),
  at: timeArb,
});
const recordArb = fc.record({
  name: nameArb,
  address: addrArb,
  admin: fc.option(fc.constantFrom('paused' as const, 'disabled' as const, 'enabled' as const), {
    nil: undefined,
  }),
  health: fc.option(healthArb, { nil: undefined }),
});
const overrideArb = fc.record({
  frontend: nameArb,
  pool: nameArb,
  backend: nameArb,
  address: addrArb,
  weight: fc.nat(100),
  flush: fc.boolean(),
});
const stateArb: fc.Arbitrary<PersistedState> = fc
  .record({
    savedAt: timeArb,
    backends: fc.uniqueArray(recordArb, { selector: (r) => r.name, maxLength: 20 }),
    overrides: fc.uniqueArray(overrideArb, {
      selector: (o) => `${o.frontend}/${o.pool}/${o.backend}`,
      maxLength: 20,
    }),
  })
  .map((s) => ({
    savedAt: s.savedAt,
    backends: new Map(s.backends.map((b) => [b.name, b as BackendRecord])),
    overrides: s.overrides,
  }));

/** Comparable form: addresses as text, maps as sorted arrays. */
function plain(s: PersistedState) {
  return {
    savedAt: s.savedAt,
    backends: [...s.backends.values()]
      .map((b) => ({ ...b, address: b.address.text }))
      .sort((a, b) => (a.name < b.name ? -1 : 1)),
    overrides: s.overrides
      .map((o) => ({ ...o, address: o.address.text }))
      .sort((a, b) => {
        const ka = `${a.frontend}\u0000${a.pool}\u0000${a.backend}`;
        const kb = `${b.frontend}\u0000${b.pool}\u0000${b.backend}`;
        return ka < kb ? -1 : 1;
      }),
  };
}

describe('round trip', () => {
  it('decode(encode(s)) is s for any state, and encoding is deterministic', () => {
    fc.assert(
      fc.property(stateArb, (s) => {
        const text = encodeState(s);
        const d = decodeState(text);
        expect(d.ok).toBe(true);
        if (!d.ok) return;
        expect(plain(d.state)).toEqual(plain(s));
        expect(encodeState(d.state)).toBe(text);
      }),
    );
  });

  it('writes one entry per line, readable by people', () => {
    const text = encodeState(sample());
    expect(text).toContain('"version": 1');
    expect(text).toContain(
      '{"name":"web1","address":"10.0.0.1","admin":"paused","health":{"state":"up","counter":4,"at":"2026-12-06T05:59:55.000Z"}}',
    );
    expect(text.split('\n').filter((l) => l.includes('"name"'))).toHaveLength(3);
  });
});

describe('bad files are values with a reason, never exceptions', () => {
  const good = encodeState(sample());
  const raw = JSON.parse(good) as Record<string, unknown>;
  const withField = (patch: (o: Record<string, unknown>) => void) => {
    const o = structuredClone(raw);
    patch(o);
    return JSON.stringify(o);
  };
  const cases: [string, string, string, RegExp][] = [
    ['empty', '', 'empty', /empty/],
    ['blank', ' \n', 'empty', /empty/],
    ['truncated mid-string', good.slice(0, 60), 'truncated', /ends early/],
    ['truncated between entries', good.slice(0, good.indexOf('"backends"') + 16), 'truncated', /ends early/],
    ['truncated before the last brace', good.trimEnd().slice(0, -1), 'truncated', /ends early/],
    ['not JSON', 'version = 1', 'not-json', /not JSON/],
    ['a JSON array', '[1,2]', 'wrong-version', /version none/],
    ['no version', withField((o) => delete o.version), 'wrong-version', /version none/],
    [
      'a newer version',
      withField((o) => (o.version = 2)),
      'wrong-version',
      /version 2; this maglevd reads version 1/,
    ],
    ['version as text', withField((o) => (o.version = '1')), 'wrong-version', /version "1"/],
    ['backends not a list', withField((o) => (o.backends = {})), 'invalid', /\.backends: /],
    [
      'weight as text',
      withField(
        (o) =>
          ((o.overrides as Record<string, unknown>[])[0] = { ...(o.overrides as object[])[0], weight: '0' }),
      ),
      'invalid',
      /\.overrides\[0\]\.weight/,
    ],
    [
      'weight out of range',
      withField(
        (o) =>
          ((o.overrides as Record<string, unknown>[])[0] = { ...(o.overrides as object[])[0], weight: 101 }),
      ),
      'invalid',
      /\.overrides\[0\]\.weight/,
    ],
    [
      'unknown health state',
      withField(
        (o) =>
          ((o.backends as Record<string, unknown>[])[0] = {
            ...(o.backends as object[])[0],
            health: { state: 'unknown', counter: 1, at: '2026-12-06T00:00:00Z' },
          }),
      ),
      'invalid',
      /\.backends\[0\]\.health\.state/,
    ],
    [
      'a bad address',
      withField(
        (o) =>
          ((o.backends as Record<string, unknown>[])[1] = {
            ...(o.backends as object[])[1],
            address: '10.0.0.300',
          }),
      ),
      'invalid',
      /\.backends\[1\]\.address/,
    ],
    ['a bad time', withField((o) => (o.savedAt = 'yesterday')), 'invalid', /\.savedAt/],
    [
      'an invalid name',
      withField(
        (o) =>
          ((o.backends as Record<string, unknown>[])[0] = { ...(o.backends as object[])[0], name: '-x' }),
      ),
      'invalid',
      /\.backends\[0\]\.name: not a valid name/,
    ],
    ['an unknown key', withField((o) => (o.extra = true)), 'invalid', /extra/],
    [
      'an unknown admin state',
      withField(
        (o) =>
          ((o.backends as Record<string, unknown>[])[0] = {
            ...(o.backends as object[])[0],
            admin: 'drained',
          }),
      ),
      'invalid',
      /\.backends\[0\]\.admin/,
    ],
    [
      'a duplicate backend',
      withField((o) => (o.backends as object[]).push((o.backends as object[])[0] as object)),
      'invalid',
      /backend web1 appears twice/,
    ],
    [
      'a duplicate override',
      withField((o) => (o.overrides as object[]).push((o.overrides as object[])[0] as object)),
      'invalid',
      /override web-v4\/primary\/web1 appears twice/,
    ],
  ];
  it.each(cases)('%s', (_what, text, kind, message) => {
    const d = decodeState(text);
    expect(d.ok).toBe(false);
    if (d.ok) return;
    expect(d.problem.kind).toBe(kind);
    expect(d.problem.message).toMatch(message);
  });

  it('any prefix of a good file is refused (never half a state), and never throws', () => {
    for (let n = 0; n < good.length - 1; n++) {
      const d = decodeState(good.slice(0, n));
      expect(d.ok).toBe(false);
      if (!d.ok) expect(['empty', 'truncated', 'not-json']).toContain(d.problem.kind);
    }
  });

  it('arbitrary text never throws', () => {
    fc.assert(
      fc.property(fc.string(), (t) => {
        expect(decodeState(t).ok).toBe(false);
      }),
    );
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const d = decodeState(
          JSON.stringify({
            version: STATE_FILE_VERSION,
            savedAt: new Date(T0).toISOString(),
            backends: [v],
            overrides: [],
          }),
        );
        if (d.ok) expect(d.state.backends.size).toBe(1);
      }),
    );
  });

  it('an empty state is valid', () => {
    const d = decodeState(encodeState(state([])));
    expect(d.ok && d.state.backends.size).toBe(0);
    expect(decodeState(encodeState(state([backend('a', '10.0.0.1')]))).ok).toBe(true);
  });
});
