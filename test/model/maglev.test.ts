// The Maglev new-flow table against VPP's golden vectors, a BigInt reference hash, and its properties.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addressFromBytes, parseAddress } from '../../src/model/address.js';
import {
  bucketCounts,
  buildMaglevTable,
  clibXxhash,
  countMovedBuckets,
  DROPPED,
  droppedBuckets,
  type MaglevServer,
  type MaglevTable,
  maglevEntry,
} from '../../src/model/maglev.js';

interface VectorCase {
  name: string;
  table_length: number;
  application_servers: { address: string; weight: number }[];
  counts: Record<string, number>;
  table?: (string | null)[];
  table_sha256?: string;
  table_head?: (string | null)[];
  dropped_buckets?: number;
  compared_with?: string;
  buckets_changed?: number;
}
interface HashCheck {
  address: string;
  replica: number;
  key: string;
  seed: string;
  skip_m1024: number;
  last_m1024: number;
}
const vectors = JSON.parse(
  readFileSync(new URL('../fixtures/maglev_vectors.json', import.meta.url), 'utf8'),
) as {
  cases: VectorCase[];
  hash_checks: HashCheck[];
};

function serversOf(c: VectorCase): MaglevServer[] {
  return c.application_servers.map((s) => ({ address: parseAddress(s.address), weight: s.weight }));
}

function ownerTexts(t: MaglevTable): (string | null)[] {
  return Array.from(t.owners, (o) => (o === DROPPED ? null : (t.servers[o] as MaglevServer).address.text));
}

// Reference clib_xxhash in BigInt: slow and obviously right, for cross-checking the u32-pair version.
const M64 = (1n << 64n) - 1n;
const rotl = (x: bigint, r: bigint) => ((x << r) | (x >> (64n - r))) & M64;
function xxhashRef(key: bigint): bigint {
  const P1 = 0x9e3779b185ebca87n;
  const P2 = 0xc2b2ae3d27d4eb4fn;
  const P3 = 0x165667b19e3779f9n;
  const P4 = 0x85ebca77c2b2ae63n;
  const P5 = 0x27d4eb2f165667c5n;
  let h = (0x9e3779b97f4a7c13n + P5 + 8n) & M64;
  let k = (key * P2) & M64;
  k = rotl(k, 31n);
  k = (k * P1) & M64;
  h ^= k;
  h = (rotl(h, 27n) * P1 + P4) & M64;
  h ^= h >> 33n;
  h = (h * P2) & M64;
  h ^= h >> 29n;
  h = (h * P3) & M64;
  h ^= h >> 32n;
  return h;
}
const pair = (hi: number, lo: number) => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);

describe('clib_xxhash', () => {
  it('matches every hash check of the vectors (seed, skip, last at M=1024)', () => {
    expect(vectors.hash_checks.length).toBeGreaterThan(0);
    for (const h of vectors.hash_checks) {
      const e = maglevEntry(parseAddress(h.address), h.replica, 1024);
      expect(pair(e.seedHi, e.seedLo), `${h.address} r${h.replica}`).toBe(BigInt(h.seed));
      expect([e.skip, e.last], `${h.address} r${h.replica}`).toEqual([h.skip_m1024, h.last_m1024]);
      const key = BigInt(h.key);
      const [hi, lo] = clibXxhash(Number(key >> 32n), Number(key & 0xffffffffn));
      expect(pair(hi, lo)).toBe(BigInt(h.seed));
    }
  });

  it('equals a BigInt reference on arbitrary 64-bit keys', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: M64 }), (key) => {
        const [hi, lo] = clibXxhash(Number(key >> 32n), Number(key & 0xffffffffn));
        expect(pair(hi, lo)).toBe(xxhashRef(key));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('buildMaglevTable against maglev_vectors.json', () => {
  const byName = new Map(vectors.cases.map((c) => [c.name, c]));
  const built = new Map<string, MaglevTable>();
  const tableOf = (c: VectorCase) => {
    let t = built.get(c.name);
    if (!t) {
      t = buildMaglevTable(serversOf(c), c.table_length);
      built.set(c.name, t);
    }
    return t;
  };

  it('has cases to check', () => {
    expect(vectors.cases.length).toBeGreaterThanOrEqual(40);
  });

  for (const c of vectors.cases) {
    it(`${c.name}: table and counts equal VPP's`, () => {
      const t = tableOf(c);
      const owners = ownerTexts(t);
      if (c.table) {
        expect(owners).toEqual(c.table);
      } else {
        expect(c.table_sha256, 'a case without a table has a digest').toBeDefined();
        const digest = createHash('sha256')
          .update(owners.map((o) => o ?? '').join('\n'), 'utf8')
          .digest('hex');
        expect(digest).toBe(c.table_sha256);
        expect(owners.slice(0, c.table_head?.length ?? 0)).toEqual(c.table_head ?? []);
      }
      const counts = bucketCounts(t);
      const got: Record<string, number> = {};
      t.servers.forEach((s, i) => {
        got[s.address.text] = counts[i] as number;
      });
      expect(got).toEqual(c.counts);
      expect(droppedBuckets(t)).toBe(c.dropped_buckets ?? 0);
    });
    if (c.compared_with !== undefined) {
      it(`${c.name}: ${c.buckets_changed} buckets move from ${c.compared_with}`, () => {
        const before = byName.get(c.compared_with as string);
        expect(before).toBeDefined();
        expect(countMovedBuckets(tableOf(before as VectorCase), tableOf(c))).toBe(c.buckets_changed);
      });
    }
  }
});

describe('buildMaglevTable refusals', () => {
  const a = parseAddress('10.0.0.1');
  it('refuses lengths that are not a power of two, zero, or too large', () => {
    for (const len of [0, 3, 1000, -1, 1.5, 2 ** 25]) {
      expect(() => buildMaglevTable([{ address: a, weight: 1 }], len)).toThrow(/power of two/);
    }
  });
  it('refuses weights outside u8 and an address given twice', () => {
    expect(() => buildMaglevTable([{ address: a, weight: 256 }], 8)).toThrow(/0\.\.255/);
    expect(() => buildMaglevTable([{ address: a, weight: -1 }], 8)).toThrow(/0\.\.255/);
    expect(() =>
      buildMaglevTable(
        [
          { address: a, weight: 1 },
          { address: parseAddress('10.0.0.1'), weight: 2 },
        ],
        8,
      ),
    ).toThrow(/twice/);
  });
});

describe('countMovedBuckets', () => {
  const s = (text: string, weight: number) => ({ address: parseAddress(text), weight });
  it('is zero between tables of the same set given in different orders', () => {
    const x = buildMaglevTable([s('10.0.0.1', 10), s('10.0.0.2', 20)], 64);
    const y = buildMaglevTable([s('10.0.0.2', 20), s('10.0.0.1', 10)], 64);
    expect(countMovedBuckets(x, y)).toBe(0);
  });
  it('counts every bucket when one side drops everything, and when lengths differ', () => {
    const x = buildMaglevTable([s('10.0.0.1', 10)], 64);
    const y = buildMaglevTable([s('10.0.0.1', 0)], 64);
    expect(countMovedBuckets(x, y)).toBe(64);
    expect(countMovedBuckets(x, buildMaglevTable([s('10.0.0.1', 10)], 128))).toBe(128);
  });
});

// Arbitrary sets of servers with distinct addresses (IPv4 or IPv6) and u8 weights.
const serverSet = fc
  .uniqueArray(
    fc.oneof(
      fc.uint8Array({ minLength: 4, maxLength: 4 }),
      fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => {
        b[0] = b[0] === 0 ? 0x20 : (b[0] as number); // keep IPv6 apart from ip46-mapped IPv4
        return b;
      }),
    ),
    { minLength: 1, maxLength: 12, selector: (b) => Array.from(b).join('.') },
  )
  .chain((addrs) =>
    fc.tuple(
      fc.constant(addrs),
      fc.array(fc.integer({ min: 0, max: 255 }), { minLength: addrs.length, maxLength: addrs.length }),
    ),
  )
  .map(([addrs, ws]) => addrs.map((b, i) => ({ address: addressFromBytes(b), weight: ws[i] as number })));
const lengthArb = fc.integer({ min: 0, max: 11 }).map((p) => 2 ** p);

describe('Maglev properties', () => {
  it('the table depends only on the set of (address, weight), not on order', () => {
    fc.assert(
      fc.property(serverSet, lengthArb, fc.integer(), (servers, len, seed) => {
        const shuffled = [...servers];
        let x = seed >>> 0;
        for (let i = shuffled.length - 1; i > 0; i--) {
          x = (Math.imul(x, 1103515245) + 12345) >>> 0;
          const j = x % (i + 1);
          [shuffled[i], shuffled[j]] = [shuffled[j] as MaglevServer, shuffled[i] as MaglevServer];
        }
        const a = buildMaglevTable(servers, len);
        const b = buildMaglevTable(shuffled, len);
        expect(ownerTexts(b)).toEqual(ownerTexts(a));
        expect(countMovedBuckets(a, b)).toBe(0);
      }),
      { numRuns: 150 },
    );
  });

  it('counts follow weight * floor(M/W) plus one per entry among the first M mod W, and weight 0 owns nothing', () => {
    fc.assert(
      fc.property(serverSet, lengthArb, (servers, len) => {
        const t = buildMaglevTable(servers, len);
        const counts = bucketCounts(t);
        const total = servers.reduce((n, s) => n + s.weight, 0);
        if (total === 0) {
          expect(droppedBuckets(t)).toBe(len);
          return;
        }
        expect(droppedBuckets(t)).toBe(0);
        // Entries in VPP's order: replica-major, then ip46 address.
        const byAddr = servers
          .map((_, i) => i)
          .sort((p, q) => cmpIp46(servers[p] as MaglevServer, servers[q] as MaglevServer));
        const expected = servers.map((s) => s.weight * Math.floor(len / total));
        let extra = len % total;
        for (let r = 0; extra > 0; r++) {
          for (const i of byAddr) {
            if (extra === 0) break;
            if ((servers[i] as MaglevServer).weight > r) {
              expected[i] = (expected[i] as number) + 1;
              extra--;
            }
          }
        }
        expect(Array.from(counts)).toEqual(expected);
        servers.forEach((s, i) => {
          if (s.weight === 0) expect(counts[i]).toBe(0);
        });
      }),
      { numRuns: 150 },
    );
  });

  it('adding a weight-0 server changes nothing', () => {
    fc.assert(
      fc.property(serverSet, lengthArb, (servers, len) => {
        const [first, ...rest] = servers;
        const drained = [{ address: (first as MaglevServer).address, weight: 0 }, ...rest];
        const withDrained = buildMaglevTable(drained, len);
        const without = buildMaglevTable(rest, len);
        expect(ownerTexts(withDrained)).toEqual(ownerTexts(without));
      }),
      { numRuns: 100 },
    );
  });
});

function cmpIp46(a: MaglevServer, b: MaglevServer): number {
  const pa =
    a.address.family === 4 ? [...new Array<number>(12).fill(0), ...a.address.bytes] : [...a.address.bytes];
  const pb =
    b.address.family === 4 ? [...new Array<number>(12).fill(0), ...b.address.bytes] : [...b.address.bytes];
  for (let i = 0; i < 16; i++) if (pa[i] !== pb[i]) return (pa[i] as number) - (pb[i] as number);
  return 0;
}
