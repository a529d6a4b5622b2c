// Bucket counts of live ASs derived from the Maglev model where VPP's own counts are not known yet.
import type { LbAsState, LbLiveState, LbVipState } from './lb-state.js';
import { bucketCounts, buildMaglevTable, isValidTableLength } from './maglev.js';

/**
 * withModelBuckets fills `numBuckets` of every AS of a VIP where any is unknown (the daemon's record after
 * its own changes, until the next dump), from lb's Maglev table for the VIP's weights: the table is a pure
 * function of (address, weight) and M, checked bucket for bucket against VPP. VIPs whose counts are all
 * known (fresh from a dump) are returned as they are.
 */
export function withModelBuckets(live: LbLiveState): LbLiveState {
  let changed = false;
  const vips = new Map<string, LbVipState>();
  for (const [k, v] of live.vips) {
    const ases = [...v.ases.values()];
    if (!ases.some((a) => a.numBuckets === undefined) || !isValidTableLength(v.tableLength)) {
      vips.set(k, v);
      continue;
    }
    const counts = bucketCounts(
      buildMaglevTable(
        ases.map((a) => ({ address: a.address, weight: a.weight })),
        v.tableLength,
      ),
    );
    const filled = new Map<string, LbAsState>();
    ases.forEach((a, i) => {
      filled.set(a.address.text, { ...a, numBuckets: counts[i] ?? 0 });
    });
    vips.set(k, { ...v, ases: filled });
    changed = true;
  }
  return changed ? { vips } : live;
}
