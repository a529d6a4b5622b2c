// Bucket counts filled from the Maglev model for ASs whose VPP counts are not known yet.
import { describe, expect, it } from 'vitest';
import { parseAddress, parsePrefix } from '../../src/model/address.js';
import { withModelBuckets } from '../../src/model/lb-buckets.js';
import type { LbAsState, LbLiveState } from '../../src/model/lb-state.js';
import { makeVipKey, PROTO_TCP, vipKeyString } from '../../src/model/vip-key.js';

function live(weights: Record<string, number>, known?: number): LbLiveState {
  const key = makeVipKey(parsePrefix('192.0.2.0/24'), PROTO_TCP, 80);
  const ases = new Map<string, LbAsState>();
  for (const [a, w] of Object.entries(weights)) {
    ases.set(a, { address: parseAddress(a), weight: w, numBuckets: known });
  }
  return {
    vips: new Map([[vipKeyString(key), { key, encap: 'gre4', srcIpSticky: false, tableLength: 1024, ases }]]),
  };
}

const counts = (l: LbLiveState) =>
  Object.fromEntries([...[...l.vips.values()][0]!.ases.values()].map((a) => [a.address.text, a.numBuckets]));

describe('withModelBuckets', () => {
  it("fills unknown counts with VPP's (the vectors of vpp-api-protocol.md §5.6)", () => {
    const all = { '10.0.0.1': 100, '10.0.0.2': 100, '10.0.0.3': 100, '10.0.0.4': 100 };
    expect(counts(withModelBuckets(live(all)))).toEqual({
      '10.0.0.1': 256,
      '10.0.0.2': 256,
      '10.0.0.3': 256,
      '10.0.0.4': 256,
    });
    expect(counts(withModelBuckets(live({ ...all, '10.0.0.1': 50 })))).toEqual({
      '10.0.0.1': 150,
      '10.0.0.2': 292,
      '10.0.0.3': 291,
      '10.0.0.4': 291,
    });
    expect(counts(withModelBuckets(live({ ...all, '10.0.0.1': 50, '10.0.0.2': 0 })))).toEqual({
      '10.0.0.1': 208,
      '10.0.0.2': 0,
      '10.0.0.3': 408,
      '10.0.0.4': 408,
    });
  });

  it('keeps counts a dump gave, untouched', () => {
    const l = live({ '10.0.0.1': 100 }, 7);
    expect(withModelBuckets(l)).toBe(l);
  });
});
