// Maps key paths of a parsed YAML document back to line:column, and reads the document order of map keys.
import {
  type Alias,
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  type LineCounter,
  type Node,
  type Pair,
  type YAMLMap,
} from 'yaml';
import type { KeyPath } from './issues.js';

/** A 1-based position in the source text. */
export interface Position {
  readonly line: number;
  readonly col: number;
}

interface Found {
  /** The deepest node reached along the path (a value), if any. */
  node: unknown;
  /** The key node of the deepest pair or the deepest list item reached. */
  key: unknown;
  /** Whether the whole path was found. */
  complete: boolean;
}

function rangeStart(n: unknown): number | undefined {
  const r = (n as { range?: readonly number[] } | null | undefined)?.range;
  return r === undefined ? undefined : r[0];
}

function keyText(k: unknown): string | undefined {
  if (isScalar(k)) return k.value === null ? undefined : String(k.value);
  return undefined;
}

/**
 * SourcePositions answers "where in the file is this key path" for error messages. Lookups index each map
 * once (lazily), so reporting thousands of errors on a config with thousands of entries stays linear.
 */
export class SourcePositions {
  readonly #doc: Document;
  readonly #lc: LineCounter;
  readonly #index = new WeakMap<YAMLMap, Map<string, Pair>>();

  readonly #aliases: ReadonlyMap<Alias, Node> | undefined;

  /**
   * `aliases`, the node each alias stands for, saves a scan of the whole document per alias on a path
   * (yaml's Alias.resolve); without it, or for an alias not in it, that scan is the fallback.
   */
  constructor(doc: Document, lineCounter: LineCounter, aliases?: ReadonlyMap<Alias, Node>) {
    this.#doc = doc;
    this.#lc = lineCounter;
    this.#aliases = aliases;
  }

  #resolve(a: Alias): unknown {
    return this.#aliases?.get(a) ?? a.resolve(this.#doc);
  }

  #pairs(map: YAMLMap): Map<string, Pair> {
    let idx = this.#index.get(map);
    if (idx === undefined) {
      idx = new Map();
      // A duplicated key is an error of its own; the last one wins here, as it does when the YAML becomes data.
      for (const p of map.items) {
        const k = keyText(p.key);
        if (k !== undefined) idx.set(k, p);
      }
      this.#index.set(map, idx);
    }
    return idx;
  }

  #walk(path: KeyPath): Found {
    let node: unknown = this.#doc.contents;
    let key: unknown;
    for (const seg of path) {
      if (isAlias(node)) node = this.#resolve(node);
      if (isMap(node) && typeof seg === 'string') {
        const p = this.#pairs(node).get(seg);
        if (p === undefined) return { node, key, complete: false };
        key = p.key;
        node = p.value;
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg];
        if (item === undefined) return { node, key, complete: false };
        key = item;
        node = item;
      } else {
        return { node, key, complete: false };
      }
    }
    return { node, key, complete: true };
  }

  #pos(offset: number | undefined): Position {
    if (offset === undefined) return { line: 1, col: 1 };
    const p = this.#lc.linePos(offset);
    return { line: p.line, col: p.col };
  }

  /**
   * locate gives the position of the value at `path` (or of its key with `at: 'key'`). A path that does
   * not exist in the file (a missing key) resolves to the key of its deepest existing ancestor, which is
   * where the operator has to add it.
   */
  locate(path: KeyPath, at: 'key' | 'value' = 'value'): Position {
    const f = this.#walk(path);
    if (!f.complete) return this.#pos(rangeStart(f.key) ?? rangeStart(f.node));
    if (at === 'key') return this.#pos(rangeStart(f.key) ?? rangeStart(f.node));
    return this.#pos(rangeStart(f.node) ?? rangeStart(f.key));
  }

  /** offsetPosition converts a character offset (e.g. from a YAML parser error) to line:column. */
  offsetPosition(offset: number): Position {
    return this.#pos(offset);
  }

  /** keyOrder lists the keys of the map at `path` in document order, or undefined if there is no such map. */
  keyOrder(path: KeyPath): string[] | undefined {
    const f = this.#walk(path);
    let node = f.node;
    if (isAlias(node)) node = this.#resolve(node);
    if (!f.complete || !isMap(node)) return undefined;
    const out: string[] = [];
    for (const p of node.items) {
      const k = keyText(p.key);
      if (k !== undefined) out.push(k);
    }
    return out;
  }
}
