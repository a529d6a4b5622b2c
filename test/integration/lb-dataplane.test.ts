// Against a real VPP (npm run test:vpp with VPP_API_SOCKET set): the lb adapter programs VIPs and ASs, reads
// them back, and VPP's per-AS bucket counts equal the Maglev model's; the simulator answers the same calls alike.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LB_REQUIRED_MESSAGES, VppLbDataplane } from '../../src/dataplane/vpp-lb-dataplane.js';
import { parseAddress, parsePrefix } from '../../src/model/address.js';
import { bucketCounts, buildMaglevTable } from '../../src/model/maglev.js';
import { makeVipKey, PROTO_TCP, PROTO_UDP } from '../../src/model/vip-key.js';
import { VppClient } from '../../src/vppapi/client.js';

const socketPath = process.env.VPP_API_SOCKET;
if (!socketPath) {
  console.warn('test:vpp skipped: set VPP_API_SOCKET to the path of a running VPP binary-API socket');
}

// Documentation-range VIPs that a test VPP will not otherwise use; every one is deleted again.
const vip4 = makeVipKey(parsePrefix('198.18.77.1/32'), PROTO_TCP, 8443);
const vip6 = makeVipKey(parsePrefix('2001:db8:77::1/128'), PROTO_UDP, 53);
const as4 = ['10.77.0.1', '10.77.0.2', '10.77.0.3'].map(parseAddress);
const as6 = ['2001:db8:77::11', '2001:db8:77::12'].map(parseAddress);

function expectedBuckets(servers: { address: string; weight: number }[], m: number): Record<string, number> {
  const table = buildMaglevTable(
    servers.map((s) => ({ address: parseAddress(s.address), weight: s.weight })),
    m,
  );
  const counts = bucketCounts(table);
  return Object.fromEntries(servers.map((s, i) => [s.address, counts[i] ?? 0]));
}

describe.skipIf(!socketPath)(`lb dataplane against a real VPP at ${socketPath ?? '(unset)'}`, () => {
  let client: VppClient;
  let dp: VppLbDataplane;

  beforeAll(async () => {
    client = new VppClient({
      socketPath: socketPath as string,
      clientName: 'maglevd-test',
      requiredMessages: LB_REQUIRED_MESSAGES,
    });
    client.start();
    await client.waitUntilConnected(5_000);
    dp = new VppLbDataplane(client, () => 1000);
    for (const v of [vip4, vip6]) await dp.delVip(v).catch(() => undefined);
  });

  afterAll(async () => {
    for (const v of [vip4, vip6]) await dp?.delVip(v).catch(() => undefined);
    await client?.close();
  });

  it('has every lb message maglevd uses, with the CRCs the bindings were generated from', () => {
    expect(client.state).toBe('connected');
    expect(client.incompatibleMessages).toEqual([]);
  });

  it('programs an IPv4 and an IPv6 VIP and dumps them back with weights and Maglev bucket counts', async () => {
    await dp.addVip(vip4, 'gre4', false, 1024);
    await dp.addVip(vip6, 'gre6', true, 2048);
    for (const [i, a] of as4.entries()) await dp.addAs(vip4, a, [100, 50, 0][i] as number);
    for (const a of as6) await dp.addAs(vip6, a, 100);
    const live = await dp.dump();
    const v4 = live.vips.get('198.18.77.1/32 tcp:8443');
    const v6 = live.vips.get('2001:db8:77::1/128 udp:53');
    expect(v4?.encap).toBe('gre4');
    expect(v4?.tableLength).toBe(1024);
    expect(v6?.encap).toBe('gre6');
    expect(v6?.tableLength).toBe(2048);
    expect(v6?.srcIpSticky).toBe(true);
    const got4 = Object.fromEntries(
      [...(v4?.ases.values() ?? [])].map((a) => [a.address.text, a.numBuckets]),
    );
    expect(got4).toEqual(
      expectedBuckets(
        [
          { address: '10.77.0.1', weight: 100 },
          { address: '10.77.0.2', weight: 50 },
          { address: '10.77.0.3', weight: 0 },
        ],
        1024,
      ),
    );
    const got6 = Object.fromEntries(
      [...(v6?.ases.values() ?? [])].map((a) => [a.address.text, a.numBuckets]),
    );
    expect(got6).toEqual(
      expectedBuckets(
        [
          { address: '2001:db8:77::11', weight: 100 },
          { address: '2001:db8:77::12', weight: 100 },
        ],
        2048,
      ),
    );
  });

  it('changes weights with and without flush, deletes ASs, and refuses what VPP refuses with its retval name', async () => {
    await dp.setAsWeight(vip4, as4[0] as (typeof as4)[0], 20, false);
    await dp.setAsWeight(vip4, as4[1] as (typeof as4)[0], 0, true);
    await dp.delAs(vip4, as4[2] as (typeof as4)[0], false);
    const v4 = (await dp.dump()).vips.get('198.18.77.1/32 tcp:8443');
    const weights = Object.fromEntries(
      [...(v4?.ases.values() ?? [])].map((a) => [a.address.text, [a.weight, a.numBuckets]]),
    );
    // The deleted AS lingers in VPP with flags 0 until GC; the adapter leaves it out.
    expect(weights).toEqual({ '10.77.0.1': [20, 1024], '10.77.0.2': [0, 0] });
    await expect(dp.addAs(vip4, as4[0] as (typeof as4)[0], 10)).rejects.toMatchObject({
      code: 'ERR_VPP_RETVAL',
      retval: -81,
      retvalName: 'VNET_API_ERROR_VALUE_EXIST',
    });
    await expect(dp.addAs(vip4, as6[0] as (typeof as6)[0], 10)).rejects.toMatchObject({ retval: -97 });
    await expect(
      dp.addVip(makeVipKey(parsePrefix('198.18.77.2/32'), PROTO_TCP, 80), 'gre4', false, 1000),
    ).rejects.toMatchObject({
      retval: -70,
    });
  });

  it('deletes a VIP that still has ASs, and the dump no longer lists it', async () => {
    await dp.delVip(vip6);
    const live = await dp.dump();
    expect(live.vips.has('2001:db8:77::1/128 udp:53')).toBe(false);
    expect(live.vips.has('198.18.77.1/32 tcp:8443')).toBe(true);
  });
});
