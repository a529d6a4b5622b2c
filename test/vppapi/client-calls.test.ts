// Dumps, get-streams, events, the compatibility check and call limits, against the fake VPP.
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type SwInterfaceDetails,
  SwInterfaceDetailsDef,
  SwInterfaceDumpDef,
  SwInterfaceEventDef,
} from 'vpp-binapi-ts/interface';
import { IpPathMtuDetailsDef, IpPathMtuGetDef, IpPathMtuGetReplyDef } from 'vpp-binapi-ts/ip';
import { ControlPingDef } from 'vpp-binapi-ts/memclnt';
import type { MessageDef } from 'vpp-binapi-ts/runtime';
import { ShowVersionDef, ShowVersionReplyDef } from 'vpp-binapi-ts/vpe';
import { createLogger } from '../../src/log/logger.js';
import type { VppMessageHandler } from '../../src/sim/vpp-server.js';
import type { VppClient } from '../../src/vppapi/client.js';
import { FakeVpp } from '../fakes/fake-vpp.js';
import { connectClient, until } from './helpers.js';

/** template decodes an all-zero payload: a complete value of `def` to adjust. */
function template<T>(def: MessageDef<unknown, T>): T {
  return def.decode(new Uint8Array(def.minSize));
}

let fake: FakeVpp | undefined;
let client: VppClient | undefined;
afterEach(async () => {
  await client?.close();
  await fake?.stop();
  client = undefined;
  fake = undefined;
});

async function setup(handler?: VppMessageHandler, opts: Parameters<typeof connectClient>[1] = {}) {
  fake = await FakeVpp.start({ handler });
  const r = await connectClient(fake, opts);
  client = r.client;
  return { fake, client, states: r.states };
}

const details = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    def: SwInterfaceDetailsDef,
    value: { ...template(SwInterfaceDetailsDef), sw_if_index: i + 1, interface_name: `if${i + 1}` },
  }));

describe('dump', () => {
  it('sends the dump and a control_ping with the same context, and returns the details in order', async () => {
    const { fake, client } = await setup(({ def }) =>
      def.name === 'sw_interface_dump' ? details(3) : undefined,
    );
    const got = (await client.dump(SwInterfaceDumpDef, {
      name_filter_valid: false,
      name_filter: '',
    })) as SwInterfaceDetails[];
    expect(got.map((d) => [d.sw_if_index, d.interface_name])).toEqual([
      [1, 'if1'],
      [2, 'if2'],
      [3, 'if3'],
    ]);
    const [dump, ping] = fake.received.slice(-2);
    expect(dump?.msgId).toBe(fake.idOf(SwInterfaceDumpDef));
    expect(ping?.msgId).toBe(fake.idOf(ControlPingDef));
    expect(dump?.payload.readUInt32BE(6)).toBe(ping?.payload.readUInt32BE(6));
  });

  it('returns an empty list when VPP has nothing to report', async () => {
    const { client } = await setup(() => []);
    expect(await client.dump(SwInterfaceDumpDef, { name_filter_valid: false, name_filter: '' })).toEqual([]);
  });

  it('keeps many dumps and requests in flight apart', async () => {
    const { client } = await setup(({ def }) => (def.name === 'sw_interface_dump' ? details(2) : undefined));
    const calls = await Promise.all([
      client.dump(SwInterfaceDumpDef, { name_filter_valid: false, name_filter: '' }),
      client.request(ControlPingDef, {}),
      client.dump(SwInterfaceDumpDef, { name_filter_valid: false, name_filter: '' }),
    ]);
    expect((calls[0] as unknown[]).length).toBe(2);
    expect((calls[2] as unknown[]).length).toBe(2);
  });

  it('times out when the terminating control_ping_reply never comes', async () => {
    const { fake, client } = await setup(() => details(1));
    fake.dropReplies('control_ping_reply', 1);
    await expect(
      client.dump(SwInterfaceDumpDef, { name_filter_valid: false, name_filter: '' }, { timeoutMs: 50 }),
    ).rejects.toMatchObject({ code: 'ERR_VPP_TIMEOUT', messageName: 'sw_interface_dump' });
    expect(client.inFlight).toBe(0);
  });

  it('collects a get-stream until its reply, and rejects on a failing reply retval', async () => {
    let retval = 0;
    const { client } = await setup(({ def }) =>
      def.name === 'ip_path_mtu_get'
        ? [
            { def: IpPathMtuDetailsDef, value: template(IpPathMtuDetailsDef) },
            { def: IpPathMtuDetailsDef, value: template(IpPathMtuDetailsDef) },
            { def: IpPathMtuGetReplyDef, value: { retval, cursor: 0 } },
          ]
        : undefined,
    );
    expect(await client.dump(IpPathMtuGetDef, { cursor: 0 })).toHaveLength(2);
    retval = -7;
    await expect(client.dump(IpPathMtuGetDef, { cursor: 0 })).rejects.toMatchObject({
      retval: -7,
      retvalName: 'VNET_API_ERROR_INVALID_VALUE',
    });
    expect(client.inFlight).toBe(0);
  });

  it('re-issues a get-stream from the cursor VPP returned with -165 (EAGAIN) and joins the rounds', async () => {
    const detail = (table_id: number) => {
      const d = template(IpPathMtuDetailsDef);
      return { def: IpPathMtuDetailsDef, value: { ...d, pmtu: { ...d.pmtu, table_id } } };
    };
    const cursors: number[] = [];
    const { client } = await setup(({ def, value }) => {
      if (def.name !== 'ip_path_mtu_get') return undefined;
      const { cursor } = value as { cursor: number };
      cursors.push(cursor);
      // VPP suspends a long walk: what it sent so far, then -165 and where to go on (api_helper_macros.h).
      if (cursor === 0)
        return [detail(1), detail(2), { def: IpPathMtuGetReplyDef, value: { retval: -165, cursor: 7 } }];
      return [detail(7), { def: IpPathMtuGetReplyDef, value: { retval: 0, cursor: 0xffffffff } }];
    });
    const got = await client.dump(IpPathMtuGetDef, { cursor: 0 });
    expect(got.map((d) => d.pmtu.table_id)).toEqual([1, 2, 7]);
    expect(cursors).toEqual([0, 7]);
    expect(client.inFlight).toBe(0);
  });

  it('gives up on a get-stream that answers -165 without moving its cursor forward, naming the message', async () => {
    for (const replies of [
      [5, 5], // the same cursor again
      [1, 2, 1], // back to one already walked (VPP's pool walk only goes forward)
    ]) {
      const cursors: number[] = [];
      const { client } = await setup(({ def, value }) => {
        if (def.name !== 'ip_path_mtu_get') return undefined;
        cursors.push((value as { cursor: number }).cursor);
        const next = replies[cursors.length - 1] ?? 0;
        const d = template(IpPathMtuDetailsDef);
        return [
          { def: IpPathMtuDetailsDef, value: d },
          { def: IpPathMtuGetReplyDef, value: { retval: -165, cursor: next } },
        ];
      });
      const last = replies.at(-1);
      const from = replies.at(-2);
      await expect(client.dump(IpPathMtuGetDef, { cursor: 0 })).rejects.toMatchObject({
        code: 'ERR_UNAVAILABLE',
        message: `ip_path_mtu_get: VPP asked to retry (-165, EAGAIN) from cursor ${last}, not past ${from}`,
      });
      expect(cursors).toEqual([0, ...replies.slice(0, -1)]);
      expect(client.inFlight).toBe(0);
      // The connection is fine: the next call works.
      expect(await client.request(ControlPingDef, {})).toMatchObject({ retval: 0 });
      await client.close();
      await fake?.stop();
    }
  });

  it("counts the details bound across a get-stream's rounds, abandoning at the first detail over it", async () => {
    const cursors: number[] = [];
    const { client } = await setup(
      ({ def, value }) => {
        if (def.name !== 'ip_path_mtu_get') return undefined;
        const { cursor } = value as { cursor: number };
        cursors.push(cursor);
        const d = { def: IpPathMtuDetailsDef, value: template(IpPathMtuDetailsDef) };
        return [d, d, { def: IpPathMtuGetReplyDef, value: { retval: -165, cursor: cursor + 10 } }];
      },
      { maxDumpDetails: 3 },
    );
    await expect(client.dump(IpPathMtuGetDef, { cursor: 0 })).rejects.toMatchObject({
      code: 'ERR_UNAVAILABLE',
      message: 'ip_path_mtu_get: more than 3 details; dump abandoned',
    });
    expect(cursors).toEqual([0, 10]);
    expect(client.inFlight).toBe(0);
  });
});

describe('events', () => {
  it('delivers subscribed events, decoded, until unsubscribed', async () => {
    const { fake, client } = await setup();
    const seen: Array<{ sw_if_index: number; client_index: number }> = [];
    const off = client.subscribe(SwInterfaceEventDef, (e) => seen.push(e));
    fake.vpp.sendEvent(SwInterfaceEventDef, { pid: 1, sw_if_index: 5, flags: 1, deleted: false });
    await until(() => seen.length === 1, 'event');
    expect(seen[0]).toMatchObject({ sw_if_index: 5, client_index: 0x80000001 });
    off();
    fake.vpp.sendEvent(SwInterfaceEventDef, { pid: 1, sw_if_index: 6, flags: 1, deleted: false });
    await until(() => client.stats.unexpected === 1, 'unsubscribed event dropped');
    expect(seen).toHaveLength(1);
  });
});

describe('compatibility', () => {
  const changed = { ...ShowVersionReplyDef, crc: '0xdeadbeef', nameCrc: 'show_version_reply_deadbeef' };
  const missing = { ...ShowVersionDef, name: 'no_such_message', nameCrc: 'no_such_message_12345678' };

  it('enters `incompatible`, listing each missing or changed message with both CRCs', async () => {
    const { client, states } = await setup(undefined, {
      requiredMessages: [ControlPingDef, changed, missing],
    });
    expect(client.state).toBe('incompatible');
    expect(client.incompatibleMessages).toEqual([
      { name: 'show_version_reply', expectedCrc: '0xdeadbeef', foundCrc: '0xc919bde1' },
      { name: 'no_such_message', expectedCrc: '0x51077d14', foundCrc: undefined },
    ]);
    expect(states.at(-1)?.error).toMatchObject({ code: 'ERR_VPP_INCOMPATIBLE' });
    expect(states.at(-1)?.reason).toMatch(/show_version_reply \(expected crc 0xdeadbeef, found 0xc919bde1\)/);
    expect(() => client.checkCompatibility([ShowVersionDef])).not.toThrow();
    expect(() => client.checkCompatibility([missing])).toThrow(
      /no_such_message \(expected crc 0x51077d14, missing\)/,
    );
    // Compatible messages still work; an incompatible one fails at once without reaching VPP.
    expect(await client.request(ControlPingDef, {})).toMatchObject({ retval: 0 });
    await expect(client.request(missing, {})).rejects.toMatchObject({ code: 'ERR_VPP_INCOMPATIBLE' });
    expect(client.inFlight).toBe(0);
  });
});

describe('call limits and bad input', () => {
  it('rejects a value that cannot be encoded, leaving nothing pending', async () => {
    const { client } = await setup();
    await expect(client.request(ControlPingDef, { context: 0 } as never)).resolves.toBeDefined();
    await expect(
      client.dump(SwInterfaceDumpDef, { name_filter_valid: false, name_filter: '', sw_if_index: -1 }),
    ).rejects.toMatchObject({ code: 'ERR_ENCODE' });
    expect(client.inFlight).toBe(0);
  });

  it('refuses calls beyond the in-flight bound at once', async () => {
    const { fake, client } = await setup(undefined, { maxInFlight: 2 });
    fake.hang();
    const a = client.request(ControlPingDef, {}, { timeoutMs: 50 }).catch((e: unknown) => e);
    const b = client.request(ControlPingDef, {}, { timeoutMs: 50 }).catch((e: unknown) => e);
    await expect(client.request(ControlPingDef, {})).rejects.toMatchObject({ code: 'ERR_UNAVAILABLE' });
    expect(await a).toMatchObject({ code: 'ERR_VPP_TIMEOUT' });
    expect(await b).toMatchObject({ code: 'ERR_VPP_TIMEOUT' });
  });
});

describe('logging', () => {
  it('logs each state change with the stable event name and its reason', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const logger = createLogger({ level: 'info', destination: sink });
    await setup(undefined, { logger });
    await until(() => lines.length >= 2, 'log lines');
    const events = lines.map((l) => JSON.parse(l) as { event: string; to: string; reason: string });
    expect(events.map((e) => [e.event, e.to])).toEqual([
      ['vpp-state', 'connecting'],
      ['vpp-state', 'connected'],
    ]);
  });
});
