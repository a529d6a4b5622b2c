// Against a real VPP (npm run test:vpp with VPP_API_SOCKET set): handshake, show_version, lb_conf_get, 10 000
// pings, and a "get" stream (ended by its reply, no control_ping).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IpPathMtuGetDef } from 'vpp-binapi-ts/ip';
import { LbConfGetDef, type LbConfGetReply } from 'vpp-binapi-ts/lb';
import { ControlPingDef } from 'vpp-binapi-ts/memclnt';
import { ShowVersionDef, type ShowVersionReply } from 'vpp-binapi-ts/vpe';
import { VppClient } from '../../src/vppapi/client.js';

const socketPath = process.env.VPP_API_SOCKET;
if (!socketPath) {
  console.warn('test:vpp skipped: set VPP_API_SOCKET to the path of a running VPP binary-API socket');
}

describe.skipIf(!socketPath)(`VPP client against a real VPP at ${socketPath ?? '(unset)'}`, () => {
  let client: VppClient;

  beforeAll(async () => {
    client = new VppClient({
      socketPath: socketPath as string,
      clientName: 'maglevd-test',
      requiredMessages: [ShowVersionDef, LbConfGetDef],
    });
    client.start();
    await client.waitUntilConnected(5_000);
  });

  afterAll(async () => {
    await client?.close();
  });

  it('completes the handshake with a handle and a message table that has what maglevd needs', () => {
    expect(client.state).toBe('connected');
    expect(client.clientIndex).toBeGreaterThanOrEqual(0x80000000);
    expect(client.messageCount).toBeGreaterThan(100);
  });

  it('gets show_version', async () => {
    const v = (await client.request(ShowVersionDef, {})) as ShowVersionReply;
    expect(v.retval).toBe(0);
    expect(v.program).toBe('vpe');
    expect(v.version.length).toBeGreaterThan(0);
  });

  it('gets lb_conf_get from the lb plugin', async () => {
    const c = (await client.request(LbConfGetDef, {})) as LbConfGetReply;
    expect(c.retval).toBe(0);
    expect(typeof c.flow_timeout).toBe('number');
  });

  it('completes 10 000 pipelined control_pings in order', async () => {
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 10_000 }, (_, i) =>
        client.request(ControlPingDef, {}, { timeoutMs: 30_000 }).then(() => order.push(i)),
      ),
    );
    expect(order).toEqual(Array.from({ length: 10_000 }, (_, i) => i));
    expect(client.inFlight).toBe(0);
  });

  it('runs a "get" stream to its reply (ip_path_mtu_get), and the session carries on', async () => {
    const before = client.stats.requests;
    const mtus = await client.dump(IpPathMtuGetDef, { cursor: 0 });
    expect(Array.isArray(mtus)).toBe(true);
    for (const m of mtus) expect(m.pmtu.path_mtu).toBeGreaterThan(0);
    expect(client.stats.requests - before).toBe(1); // no control_ping behind it
    expect(await client.request(ControlPingDef, {})).toMatchObject({ retval: 0 });
  });
});
