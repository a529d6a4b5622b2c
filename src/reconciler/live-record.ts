// The daemon's record of live lb state: the last dump plus every change applied since, so a per-VIP sync needs no dump.
import type { LbAsState, LbLiveState, LbVipState } from '../model/lb-state.js';
import { vipKeyString } from '../model/vip-key.js';
import type { PlanStep } from './plan.js';

interface VipRecord {
  key: LbVipState['key'];
  encap: LbVipState['encap'];
  srcIpSticky: boolean | undefined;
  tableLength: number;
  ases: Map<string, LbAsState>;
}

/** LiveRecord holds one entry per live VIP; its size is bounded by the number of VIPs. */
export class LiveRecord {
  #vips = new Map<string, VipRecord>();
  #dumped = false;

  /** True once a full dump has been taken since the last reset. */
  get hasDump(): boolean {
    return this.#dumped;
  }

  /** reset forgets everything (VPP restarted or the connection dropped: its state is no longer known). */
  reset(): void {
    this.#vips.clear();
    this.#dumped = false;
  }

  /** replaceAll takes a fresh dump; the sticky flag, which dumps lack, is kept from what this record knew. */
  replaceAll(dump: LbLiveState): void {
    const next = new Map<string, VipRecord>();
    for (const [k, v] of dump.vips) {
      const prev = this.#vips.get(k);
      const ases = new Map(v.ases);
      // Dumps cannot tell a drained AS from a flushed one: what this record knew is kept while still at 0.
      for (const [a, as] of ases) {
        const was = prev?.ases.get(a);
        if (was?.drained === true && was.weight === 0 && as.weight === 0)
          ases.set(a, { ...as, drained: true });
      }
      next.set(k, {
        key: v.key,
        encap: v.encap,
        srcIpSticky: v.srcIpSticky ?? prev?.srcIpSticky,
        tableLength: v.tableLength,
        ases,
      });
    }
    this.#vips = next;
    this.#dumped = true;
  }

  /** apply records a step VPP accepted. */
  apply(step: PlanStep): void {
    const k = vipKeyString(step.vip);
    switch (step.kind) {
      case 'vip-add':
        this.#vips.set(k, {
          key: step.vip,
          encap: step.encap,
          srcIpSticky: step.srcIpSticky,
          tableLength: step.tableLength,
          ases: new Map(),
        });
        return;
      case 'vip-del':
        this.#vips.delete(k);
        return;
      case 'as-add':
        this.#vips.get(k)?.ases.set(step.address.text, {
          address: step.address,
          weight: step.weight,
          numBuckets: undefined,
        });
        return;
      case 'as-weight':
        this.#vips.get(k)?.ases.set(step.address.text, {
          address: step.address,
          weight: step.weight,
          numBuckets: undefined,
          drained: step.weight === 0 && !step.flush,
        });
        return;
      case 'as-del':
        this.#vips.get(k)?.ases.delete(step.address.text);
        return;
    }
  }

  /** snapshot gives an immutable copy for planning. */
  snapshot(): LbLiveState {
    const vips = new Map<string, LbVipState>();
    for (const [k, v] of this.#vips) vips.set(k, { ...v, ases: new Map(v.ases) });
    return { vips };
  }

  /** snapshotOf copies only the given VIPs (those that are live). */
  snapshotOf(keys: Iterable<string>): LbLiveState {
    const vips = new Map<string, LbVipState>();
    for (const k of keys) {
      const v = this.#vips.get(k);
      if (v) vips.set(k, { ...v, ases: new Map(v.ases) });
    }
    return { vips };
  }

  /** keys lists the live VIPs. */
  keys(): IterableIterator<string> {
    return this.#vips.keys();
  }

  /** vip gives one VIP's live state. */
  vip(key: string): LbVipState | undefined {
    const v = this.#vips.get(key);
    return v ? { ...v, ases: new Map(v.ases) } : undefined;
  }
}
