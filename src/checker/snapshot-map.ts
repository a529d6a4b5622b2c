// A persistent read-only map for health snapshots: an update copies the touched chunks, not the whole map.

/** CHUNK is the number of values per chunk; an update costs about CHUNK per touched chunk + size/CHUNK copies. */
const CHUNK = 64;

/**
 * ChunkedMap is an immutable ReadonlyMap with a fixed key set (the backends of one config). `withAll`
 * returns a new map sharing every untouched chunk and the key index with this one, so a new snapshot after
 * a few results stays cheap with thousands of backends, and readers may keep any version without copying.
 */
export class ChunkedMap<V> implements ReadonlyMap<string, V> {
  private constructor(
    private readonly index: ReadonlyMap<string, number>,
    private readonly keyList: readonly string[],
    private readonly chunks: readonly (readonly V[])[],
  ) {}

  /** from builds a map in the entries' order. Keys must be unique. */
  static from<V>(entries: Iterable<readonly [string, V]>): ChunkedMap<V> {
    const index = new Map<string, number>();
    const keys: string[] = [];
    const chunks: V[][] = [];
    for (const [k, v] of entries) {
      if (index.has(k)) throw new RangeError(`duplicate key ${k}`);
      const i = keys.length;
      index.set(k, i);
      keys.push(k);
      if (i % CHUNK === 0) chunks.push([]);
      (chunks[chunks.length - 1] as V[]).push(v);
    }
    for (const c of chunks) Object.freeze(c);
    return new ChunkedMap(index, Object.freeze(keys), Object.freeze(chunks));
  }

  /** withAll returns a map with every key of `updates` (each must exist) set; each touched chunk is copied once. */
  withAll(updates: ReadonlyMap<string, V>): ChunkedMap<V> {
    if (updates.size === 0) return this;
    const chunks = this.chunks.slice();
    const copied = new Set<number>();
    for (const [key, value] of updates) {
      const i = this.index.get(key);
      if (i === undefined) throw new RangeError(`unknown key ${key}`);
      const ci = Math.floor(i / CHUNK);
      if (!copied.has(ci)) {
        chunks[ci] = (chunks[ci] as readonly V[]).slice();
        copied.add(ci);
      }
      (chunks[ci] as V[])[i % CHUNK] = value;
    }
    for (const ci of copied) Object.freeze(chunks[ci]);
    return new ChunkedMap(this.index, this.keyList, Object.freeze(chunks));
  }

  get size(): number {
    return this.keyList.length;
  }

  get(key: string): V | undefined {
    const i = this.index.get(key);
    return i === undefined ? undefined : this.at(i);
  }

  has(key: string): boolean {
    return this.index.has(key);
  }

  forEach(cb: (value: V, key: string, map: ReadonlyMap<string, V>) => void, thisArg?: unknown): void {
    for (let i = 0; i < this.keyList.length; i++)
      cb.call(thisArg, this.at(i), this.keyList[i] as string, this);
  }

  *entries(): MapIterator<[string, V]> {
    for (let i = 0; i < this.keyList.length; i++) yield [this.keyList[i] as string, this.at(i)];
  }

  *keys(): MapIterator<string> {
    yield* this.keyList;
  }

  *values(): MapIterator<V> {
    for (let i = 0; i < this.keyList.length; i++) yield this.at(i);
  }

  [Symbol.iterator](): MapIterator<[string, V]> {
    return this.entries();
  }

  private at(i: number): V {
    return (this.chunks[Math.floor(i / CHUNK)] as readonly V[])[i % CHUNK] as V;
  }
}
