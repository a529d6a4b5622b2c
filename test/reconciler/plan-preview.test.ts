// Plan preview: steps grouped per VIP and the new-flow buckets each group moves.
import { describe, expect, it } from 'vitest';
import { parseAddress, parsePrefix } from '../../src/model/address.js';
import type { LbAsState, LbVipState } from '../../src/model/lb-state.js';
import { makeVipKey, PROTO_TCP } from '../../src/model/vip-key.js';
import type { PlanStep } from '../../src/reconciler/plan.js';
import { bucketsMovedBy, previewByVip } from '../../src/reconciler/plan-preview.js';

const key = makeVipKey(parsePrefix('192.0.2.1/32'), PROTO_TCP, 80);
const other = makeVipKey(parsePrefix('192.0.2.9/32'), PROTO_TCP, 80);
const a = parseAddress('10.0.0.1');
const b = parseAddress('10.0.0.2');

function live(tableLength: number, weights: [string, number][]): LbVipState {
  const ases = new Map<string, LbAsState>();
  for (const [t, w] of weights) ases.set(t, { address: parseAddress(t), weight: w, numBuckets: undefined });
  return { key, encap: 'gre4', srcIpSticky: false, tableLength, ases };
}
const create = (tableLength: number): PlanStep => ({
  kind: 'vip-add',
  vip: key,
  encap: 'gre4',
  srcIpSticky: false,
  tableLength,
});

describe('plan preview', () => {
  it('a new VIP moves every bucket when some AS has weight, none when all are 0', () => {
    expect(
      bucketsMovedBy(undefined, [create(256), { kind: 'as-add', vip: key, address: a, weight: 10 }]),
    ).toEqual({ bucketsMoved: 256, tableLength: 256 });
    expect(
      bucketsMovedBy(undefined, [create(256), { kind: 'as-add', vip: key, address: a, weight: 0 }]),
    ).toEqual({
      bucketsMoved: 0,
      tableLength: 256,
    });
  });

  it('a deleted VIP moves every owned bucket; a re-created one with another length moves all of the new table', () => {
    const l = live(512, [['10.0.0.1', 100]]);
    expect(bucketsMovedBy(l, [{ kind: 'vip-del', vip: key, reason: 'unknown' }])).toEqual({
      bucketsMoved: 512,
      tableLength: 512,
    });
    expect(
      bucketsMovedBy(l, [
        { kind: 'vip-del', vip: key, reason: 'recreate' },
        create(1024),
        { kind: 'as-add', vip: key, address: a, weight: 100 },
      ]),
    ).toEqual({ bucketsMoved: 1024, tableLength: 1024 });
  });

  it('draining one of two equal ASs moves about half the buckets; a no-op weight change moves none', () => {
    const l = live(1024, [
      ['10.0.0.1', 100],
      ['10.0.0.2', 100],
    ]);
    const drained = bucketsMovedBy(l, [
      { kind: 'as-weight', vip: key, address: b, weight: 0, from: 100, flush: false },
    ]).bucketsMoved as number;
    expect(drained).toBeGreaterThan(400);
    expect(drained).toBeLessThan(624);
    expect(
      bucketsMovedBy(l, [{ kind: 'as-weight', vip: key, address: b, weight: 100, from: 100, flush: false }]),
    ).toEqual({ bucketsMoved: 0, tableLength: 1024 });
  });

  it('groups steps per VIP in plan order with their frontend and lines', () => {
    const steps: PlanStep[] = [
      { kind: 'as-weight', vip: key, address: a, weight: 0, from: 100, flush: true },
      { kind: 'vip-del', vip: other, reason: 'unknown' },
    ];
    const p = previewByVip(
      steps,
      (k) => (k === '192.0.2.1/32 tcp:80' ? live(64, [['10.0.0.1', 100]]) : undefined),
      (k) => (k === '192.0.2.1/32 tcp:80' ? 'web' : undefined),
    );
    expect(p.map((v) => [v.vip, v.frontend, v.lines, v.bucketsMoved])).toEqual([
      [
        '192.0.2.1/32 tcp:80',
        'web',
        ['lb_as_set_weight 192.0.2.1/32 tcp:80 as 10.0.0.1 weight 100 → 0 flush'],
        64,
      ],
      ['192.0.2.9/32 tcp:80', undefined, ['lb_add_del_vip_v2 del 192.0.2.9/32 tcp:80 (unknown)'], 0],
    ]);
  });
});
