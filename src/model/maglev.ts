// The lb plugin's Maglev new-flow table, bucket for bucket as VPP builds it, and how tables differ.
//
// Facts from vpp src/plugins/lb/lb.c (lb_vip_update_new_flow_table, at the commit that added weights)
// and src/vppinfra/xxhash.h (clib_xxhash). The table is a pure function of its length and the set of
// (address, weight) of the USED application servers: input order and pool indices play no part.
import { MaglevError } from '../util/errors.js';
import { type IpAddress, toIp46 } from './address.js';

/** One application server as the table sees it: an address and a u8 weight (0 = drain: no bucket). */
export interface MaglevServer {
  readonly address: IpAddress;
  readonly weight: number;
}

/** DROPPED marks a bucket that keeps VPP's placeholder AS 0: packets hashed there are dropped. */
export const DROPPED = -1;

/**
 * MAX_TABLE_LENGTH bounds what this module will allocate (16 M buckets, 64 MB). VPP has no bound of
 * its own; its API default is 1024 and the u16 `flow_table_length` of a dump can show at most 32768.
 */
export const MAX_TABLE_LENGTH = 1 << 24;

/** MaglevTable is a built new-flow table. */
export interface MaglevTable {
  /** Number of buckets M (a power of two). */
  readonly length: number;
  /** The servers the table was built from, in the order given. */
  readonly servers: readonly MaglevServer[];
  /** owners[i] is the index in `servers` of the server owning bucket i, or DROPPED. */
  readonly owners: Int32Array;
}

// 64-bit arithmetic on (hi, lo) pairs of u32: JS numbers lose precision past 2^53 and BigInt allocates.
// Results of the helpers land in these two module-level registers to avoid allocating per call.
let rHi = 0;
let rLo = 0;

/** (aHi,aLo) * (bHi,bLo) mod 2^64 into rHi/rLo. */
function mul64(aHi: number, aLo: number, bHi: number, bLo: number): void {
  const a0 = aLo & 0xffff;
  const a1 = aLo >>> 16;
  const b0 = bLo & 0xffff;
  const b1 = bLo >>> 16;
  // Exact 32x32 -> 64 product from 16-bit limbs; every partial sum stays below 2^53.
  const mid = a0 * b1 + a1 * b0;
  const low = a0 * b0 + (mid % 0x10000) * 0x10000;
  const high = a1 * b1 + Math.floor(mid / 0x10000) + Math.floor(low / 0x100000000);
  rLo = low >>> 0;
  rHi = (high + Math.imul(aHi, bLo) + Math.imul(aLo, bHi)) >>> 0;
}

// xxHash64 primes (vpp src/vppinfra/xxhash.h), split into hi/lo halves.
const P1_HI = 0x9e3779b1;
const P1_LO = 0x85ebca87;
const P2_HI = 0xc2b2ae3d;
const P2_LO = 0x27d4eb4f;
const P3_HI = 0x165667b1;
const P3_LO = 0x9e3779f9;
const P4_HI = 0x85ebca77;
const P4_LO = 0xc2b2ae63;
// Initial state 0x9e3779b97f4a7c13 + PRIME64_5 + 8 (mod 2^64) = 0xc60c64e895a0e3e0.
const H0_HI = 0xc60c64e8;
const H0_LO = 0x95a0e3e0;

/**
 * clibXxhash is vppinfra's clib_xxhash of one u64 given as (hi, lo) u32 halves; the result is left
 * in the return tuple. Exported for tests and tools; the table builder uses the allocation-free path.
 */
export function clibXxhash(hi: number, lo: number): [number, number] {
  xxhashInto(hi >>> 0, lo >>> 0);
  return [rHi, rLo];
}

function xxhashInto(kHi: number, kLo: number): void {
  // k1 = rotl(key * P2, 31) * P1
  mul64(kHi, kLo, P2_HI, P2_LO);
  let hi = ((rHi << 31) | (rLo >>> 1)) >>> 0;
  let lo = ((rLo << 31) | (rHi >>> 1)) >>> 0;
  mul64(hi, lo, P1_HI, P1_LO);
  // h = rotl(H0 ^ k1, 27) * P1 + P4
  hi = (H0_HI ^ rHi) >>> 0;
  lo = (H0_LO ^ rLo) >>> 0;
  const rh = ((hi << 27) | (lo >>> 5)) >>> 0;
  const rl = ((lo << 27) | (hi >>> 5)) >>> 0;
  mul64(rh, rl, P1_HI, P1_LO);
  lo = rLo + P4_LO;
  hi = (rHi + P4_HI + (lo > 0xffffffff ? 1 : 0)) >>> 0;
  lo >>>= 0;
  // Avalanche: h ^= h >> 33; h *= P2; h ^= h >> 29; h *= P3; h ^= h >> 32.
  lo = (lo ^ (hi >>> 1)) >>> 0;
  mul64(hi, lo, P2_HI, P2_LO);
  hi = rHi;
  lo = (rLo ^ ((rLo >>> 29) | (rHi << 3))) >>> 0;
  hi = (hi ^ (hi >>> 29)) >>> 0;
  mul64(hi, lo, P3_HI, P3_LO);
  rLo = (rLo ^ rHi) >>> 0;
}

/**
 * maglevEntry gives the probe start (`last`) and stride (`skip`) of one (address, replica) entry:
 * key = A0 ^ A1 ^ replica with A0/A1 the ip46 bytes 0-7 / 8-15 read as little-endian u64s;
 * seed = clib_xxhash(key); skip = (seed.lo | 1) & mask; last = seed.hi & mask.
 */
export function maglevEntry(
  address: IpAddress,
  replica: number,
  length: number,
): { seedHi: number; seedLo: number; skip: number; last: number } {
  const mask = length - 1;
  const [kHi, kLo] = ip46KeyHalves(toIp46(address));
  xxhashInto(kHi, (kLo ^ replica) >>> 0);
  return { seedHi: rHi, seedLo: rLo, skip: ((rLo | 1) & mask) >>> 0, last: (rHi & mask) >>> 0 };
}

function le32(b: Uint8Array, o: number): number {
  return (
    ((b[o] as number) |
      ((b[o + 1] as number) << 8) |
      ((b[o + 2] as number) << 16) |
      ((b[o + 3] as number) << 24)) >>>
    0
  );
}

/** ip46KeyHalves returns (hi, lo) of A0 ^ A1 for a 16-byte ip46 address. */
function ip46KeyHalves(b: Uint8Array): [number, number] {
  return [(le32(b, 4) ^ le32(b, 12)) >>> 0, (le32(b, 0) ^ le32(b, 8)) >>> 0];
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return 0;
}

/** isValidTableLength: a power of two from 1 to MAX_TABLE_LENGTH. */
export function isValidTableLength(length: number): boolean {
  return (
    Number.isInteger(length) && length >= 1 && length <= MAX_TABLE_LENGTH && (length & (length - 1)) === 0
  );
}

/**
 * buildMaglevTable builds VPP's new-flow table of `length` buckets for `servers`.
 *
 * Entries are one per (server, replica < weight), ordered by replica then by the 16-byte ip46 address
 * (memcmp); each probes from its own `last` by its own `skip` until it finds a free bucket; rounds repeat
 * over the ordered entries until every bucket is taken, stopping mid-round. Only the first M entries in
 * that order can ever claim a bucket, so at most M are hashed. Without a server of weight > 0 every
 * bucket is dropped. Throws ERR_BAD_REQUEST on a bad length, a weight outside 0..255, or an address
 * given twice (VPP keeps one AS per address on a VIP).
 */
export function buildMaglevTable(servers: readonly MaglevServer[], length: number): MaglevTable {
  if (!isValidTableLength(length)) {
    throw new MaglevError(
      'ERR_BAD_REQUEST',
      `Maglev table length ${length} is not a power of two between 1 and ${MAX_TABLE_LENGTH}`,
    );
  }
  const n = servers.length;
  const keys: Uint8Array[] = new Array(n);
  let maxWeight = 0;
  let totalWeight = 0;
  for (let i = 0; i < n; i++) {
    const s = servers[i] as MaglevServer;
    const w = s.weight;
    if (!Number.isInteger(w) || w < 0 || w > 255) {
      throw new MaglevError(
        'ERR_BAD_REQUEST',
        `weight ${w} of ${s.address.text} is not an integer in 0..255`,
      );
    }
    keys[i] = toIp46(s.address);
    if (w > maxWeight) maxWeight = w;
    totalWeight += w;
  }
  // Address order once; replica-major enumeration then yields VPP's (replica, address) sort order.
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) =>
    compareBytes(keys[a] as Uint8Array, keys[b] as Uint8Array),
  );
  for (let i = 1; i < n; i++) {
    const a = order[i - 1] as number;
    const b = order[i] as number;
    if (compareBytes(keys[a] as Uint8Array, keys[b] as Uint8Array) === 0) {
      throw new MaglevError(
        'ERR_BAD_REQUEST',
        `address ${(servers[b] as MaglevServer).address.text} is given twice (as ${(servers[a] as MaglevServer).address.text})`,
      );
    }
  }

  const owners = new Int32Array(length).fill(DROPPED);
  if (totalWeight === 0) return { length, servers, owners };

  const mask = length - 1;
  const entries = Math.min(totalWeight, length);
  const entryOwner = new Int32Array(entries);
  const skip = new Uint32Array(entries);
  const last = new Uint32Array(entries);
  const keyHi = new Uint32Array(n);
  const keyLo = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const [h, l] = ip46KeyHalves(keys[i] as Uint8Array);
    keyHi[i] = h;
    keyLo[i] = l;
  }
  let e = 0;
  fill: for (let r = 0; r < maxWeight; r++) {
    for (let k = 0; k < n; k++) {
      const s = order[k] as number;
      if ((servers[s] as MaglevServer).weight <= r) continue;
      xxhashInto(keyHi[s] as number, ((keyLo[s] as number) ^ r) >>> 0);
      entryOwner[e] = s;
      skip[e] = (rLo | 1) & mask;
      last[e] = rHi & mask;
      if (++e === entries) break fill;
    }
  }

  let done = 0;
  for (;;) {
    for (let i = 0; i < entries; i++) {
      let pos = last[i] as number;
      const step = skip[i] as number;
      while (owners[pos] !== DROPPED) pos = (pos + step) & mask;
      owners[pos] = entryOwner[i] as number;
      last[i] = (pos + step) & mask;
      if (++done === length) return { length, servers, owners };
    }
  }
}

/** bucketCounts gives, per index of `table.servers`, how many buckets that server owns. */
export function bucketCounts(table: MaglevTable): Uint32Array {
  const counts = new Uint32Array(table.servers.length);
  const owners = table.owners;
  for (let i = 0; i < owners.length; i++) {
    const o = owners[i] as number;
    if (o !== DROPPED) counts[o] = (counts[o] as number) + 1;
  }
  return counts;
}

/** droppedBuckets counts buckets owned by no server (all of them, or none). */
export function droppedBuckets(table: MaglevTable): number {
  let d = 0;
  for (const o of table.owners) if (o === DROPPED) d++;
  return d;
}

/**
 * countMovedBuckets counts buckets whose owner address differs between two tables: the new flows that
 * change server (established flows stay on VPP's sticky table). A dropped bucket differs from any
 * owned one. Tables of different lengths share no bucket layout, so every bucket of `to` counts.
 */
export function countMovedBuckets(from: MaglevTable, to: MaglevTable): number {
  if (from.length !== to.length) return to.length;
  // Map each `from` server index to the `to` index of the same address (or DROPPED-1 if absent).
  const byAddress = new Map<string, number>();
  to.servers.forEach((s, i) => {
    byAddress.set(ip46Text(s.address), i);
  });
  const translate = new Int32Array(from.servers.length);
  from.servers.forEach((s, i) => {
    translate[i] = byAddress.get(ip46Text(s.address)) ?? DROPPED - 1;
  });
  let moved = 0;
  const a = from.owners;
  const b = to.owners;
  for (let i = 0; i < a.length; i++) {
    const o = a[i] as number;
    const mapped = o === DROPPED ? DROPPED : (translate[o] as number);
    if (mapped !== b[i]) moved++;
  }
  return moved;
}

// Tables key servers by the ip46 form, so an IPv6 address with 12 leading zero bytes is its IPv4 twin.
function ip46Text(a: IpAddress): string {
  return toIp46(a).join('.');
}
