// YAML aliases of a parsed config: resolved once in document order, their expansion bounded, and turned to data.
import { type Alias, type Document, isAlias, isMap, isPair, isSeq, type Node } from 'yaml';

/**
 * The most values aliases may add to a config when expanded. 10 000 uses of a ten-value map (an anchored
 * healthcheck, say) add 100 000; a billion-laughs document, a few lines that double or tenfold at each
 * level, passes this within a few levels and is refused before any of it is built.
 */
export const MAX_ALIAS_EXPANSION = 250_000;

/** Where and why the aliases of a document cannot be used. */
export interface AliasProblem {
  /** Offset of the alias in the source text. */
  readonly offset: number;
  readonly message: string;
}

/** Every alias of a document with the node it stands for, or the first problem with them. */
export interface ResolvedAliases {
  readonly targets: ReadonlyMap<Alias, Node>;
  readonly problem: AliasProblem | undefined;
}

/**
 * resolveAliases finds the node each alias stands for (the nearest anchor of that name before it, as YAML
 * says) and counts the values the aliases add when expanded, in one pass over the document. yaml's own
 * resolution scans every earlier anchor and alias for each alias, which is quadratic: seconds for 10 000
 * aliases, minutes for a file of them.
 */
export function resolveAliases(doc: Document): ResolvedAliases {
  const targets = new Map<Alias, Node>();
  const anchors = new Map<string, Node>();
  // Values per anchored node, aliases inside it expanded; saturates above the limit.
  const sizes = new Map<Node, number>();
  const open = new Set<Node>();
  let added = 0;
  let problem: AliasProblem | undefined;

  // Post-order in document order: an alias's target has either been sized already or is an ancestor
  // of the alias (a cycle), so no alias is ever followed and the depth is the document's own.
  const size = (n: unknown): number => {
    if (problem !== undefined) return 0;
    if (isAlias(n)) {
      const target = anchors.get(n.source);
      const offset = n.range?.[0] ?? 0;
      if (target === undefined) {
        problem = {
          offset,
          message: `not valid YAML: Unresolved alias (the anchor must be set before the alias): ${n.source}`,
        };
        return 0;
      }
      if (open.has(target)) {
        problem = {
          offset,
          message: `not valid YAML for maglevd: the alias *${n.source} is inside the value it stands for (a cycle)`,
        };
        return 0;
      }
      targets.set(n, target);
      const s = sizes.get(target) ?? 1;
      added = Math.min(added + s, MAX_ALIAS_EXPANSION + 1);
      if (added > MAX_ALIAS_EXPANSION) {
        problem = {
          offset,
          message: `not valid YAML for maglevd: its aliases expand to more than ${MAX_ALIAS_EXPANSION} values (each use of an alias repeats its anchor's whole value)`,
        };
      }
      return s;
    }
    const anchor = (n as { anchor?: string } | null)?.anchor;
    if (anchor !== undefined && anchor !== '') {
      anchors.set(anchor, n as Node);
      open.add(n as Node);
    }
    let total = 1;
    if (isMap(n) || isSeq(n)) {
      for (const item of n.items) {
        if (isPair(item)) total += size(item.key) + size(item.value);
        else total += size(item);
        total = Math.min(total, MAX_ALIAS_EXPANSION + 1);
      }
    }
    if (anchor !== undefined && anchor !== '') {
      open.delete(n as Node);
      sizes.set(n as Node, total);
    }
    return total;
  };
  size(doc.contents);
  return { targets, problem };
}

/**
 * toDataWithoutAliases converts the document to plain data as yaml's toJS does, with each alias replaced by
 * the node it stands for while converting (so yaml resolves none itself), then put back, so that positions
 * found in the document afterwards are the file's. `aliases` must come from resolveAliases without a
 * problem: its expansion bound is what makes the copies this makes affordable.
 */
export function toDataWithoutAliases(doc: Document, aliases: ResolvedAliases): unknown {
  const undo: (() => void)[] = [];
  const swap = (n: unknown) => {
    if (isMap(n) || isSeq(n)) {
      const items = n.items as unknown[];
      for (let i = 0; i < items.length; i++) {
        const item = items[i];
        if (isPair(item)) {
          const k = item.key;
          const v = item.value;
          const kt = isAlias(k) ? aliases.targets.get(k) : undefined;
          const vt = isAlias(v) ? aliases.targets.get(v) : undefined;
          if (kt !== undefined) {
            item.key = kt;
            undo.push(() => {
              item.key = k;
            });
          } else swap(k);
          if (vt !== undefined) {
            item.value = vt;
            undo.push(() => {
              item.value = v;
            });
          } else swap(v);
        } else {
          const t = isAlias(item) ? aliases.targets.get(item) : undefined;
          if (t !== undefined) {
            items[i] = t;
            undo.push(() => {
              items[i] = item;
            });
          } else swap(item);
        }
      }
    }
  };
  const root = doc.contents;
  try {
    swap(root);
    const rootTarget = isAlias(root) ? aliases.targets.get(root) : undefined;
    if (rootTarget !== undefined) doc.contents = rootTarget as typeof root;
    // Aliases are gone from the tree: yaml's alias limit has nothing left to count.
    return doc.toJS({ maxAliasCount: -1 });
  } finally {
    doc.contents = root;
    for (const u of undo) u();
  }
}
