// The persistent chunked map behind snapshots: behaves like a Map, never changes an old version, shares chunks.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChunkedMap } from '../../src/checker/snapshot-map.js';

describe('ChunkedMap', () => {
  it('matches a plain Map under any sequence of batched updates, and old versions never change', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.array(fc.array(fc.tuple(fc.nat(), fc.integer()), { maxLength: 8 }), { maxLength: 40 }),
        (n, batches) => {
          const keys = Array.from({ length: n }, (_, i) => `k${i}`);
          let m = ChunkedMap.from(keys.map((k, i) => [k, i] as const));
          const plain = new Map(keys.map((k, i) => [k, i]));
          const versions: [ChunkedMap<number>, Map<string, number>][] = [];
          for (const batch of batches) {
            versions.push([m, new Map(plain)]);
            const updates = new Map<string, number>();
            for (const [ki, v] of batch) updates.set(keys[ki % n] as string, v);
            m = m.withAll(updates);
            for (const [k, v] of updates) plain.set(k, v);
          }
          expect([...m.entries()]).toEqual([...plain.entries()]);
          expect(m.size).toBe(n);
          for (const [old, copy] of versions) expect([...old]).toEqual([...copy]);
          return true;
        },
      ),
      { numRuns: 50 },
    );
  });

  it('reads, iterates and refuses unknown or duplicate keys', () => {
    const m = ChunkedMap.from([
      ['a', 1],
      ['b', 2],
    ]);
    expect(m.get('a')).toBe(1);
    expect(m.get('z')).toBeUndefined();
    expect(m.has('b')).toBe(true);
    expect([...m.keys()]).toEqual(['a', 'b']);
    expect([...m.values()]).toEqual([1, 2]);
    const seen: string[] = [];
    m.forEach((v, k) => {
      seen.push(`${k}=${v}`);
    });
    expect(seen).toEqual(['a=1', 'b=2']);
    expect(() => m.withAll(new Map([['z', 3]]))).toThrow(RangeError);
    expect(m.withAll(new Map())).toBe(m);
    expect(() =>
      ChunkedMap.from([
        ['a', 1],
        ['a', 2],
      ]),
    ).toThrow(RangeError);
    expect(new Map(m)).toEqual(
      new Map([
        ['a', 1],
        ['b', 2],
      ]),
    );
  });
});
