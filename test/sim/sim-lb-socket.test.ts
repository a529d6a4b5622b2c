// SimLb behind the sim VPP server over a real unix socket: every observed retval case, and both real sessions byte for byte.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AddressInput, AddressWithPrefixInput } from 'vpp-binapi-ts/ip_types';
import {
  LbAddDelAsDef,
  LbAddDelAsV2Def,
  LbAddDelIntfNat4Def,
  LbAddDelIntfNat6Def,
  LbAddDelVipDef,
  LbAddDelVipV2Def,
  type LbAsDetails,
  LbAsDumpDef,
  LbAsSetWeightDef,
  type LbAsV2Details,
  LbAsV2DumpDef,
  LbConfDef,
  LbConfGetDef,
  type LbConfGetReply,
  LbFlushVipDef,
  type LbVipDetails,
  LbVipDumpDef,
} from 'vpp-binapi-ts/lb';
import { type IpAddress, parseAddress, toIp46 } from '../../src/model/address.js';
import type { VipKey } from '../../src/model/vip-key.js';
import { LB_ENCAP, SimLb } from '../../src/sim/sim-lb.js';
import { createSimLbHandler } from '../../src/sim/sim-lb-handler.js';
import { VppServer } from '../../src/sim/vpp-server.js';
import { VppClient } from '../../src/vppapi/client.js';
import { VppApiError } from '../../src/vppapi/errors.js';
import { FakeVpp } from '../fakes/fake-vpp.js';
import {
  type AsRow,
  caseKey,
  dumpScenarios,
  expectedRetval,
  type LbOps,
  observedCases,
  retvalScenarios,
  vip as vipKeyOf,
} from './lb-scenarios.js';

function addressIn(a: IpAddress, form: 'api' | 'ip46' = 'api'): AddressInput {
  if (a.family === 6) return { af: 1, un: Uint8Array.from(a.bytes) };
  return { af: 0, un: form === 'ip46' ? toIp46(a) : Uint8Array.from(a.bytes) };
}
const pfxIn = (k: VipKey, form: 'api' | 'ip46' = 'api'): AddressWithPrefixInput => ({
  address: addressIn(k.prefix.address, form),
  len: k.prefix.length,
});
const addrText = (af: number, un: Uint8Array) =>
  af === 0 ? parseAddress([...un.subarray(0, 4)].join('.')).text : addressFromUn(un);
function addressFromUn(un: Uint8Array): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2)
    groups.push((((un[i] as number) << 8) | (un[i + 1] as number)).toString(16));
  return parseAddress(groups.join(':')).text;
}

async function retvalOf(p: Promise<unknown>): Promise<number> {
  try {
    return ((await p) as { retval: number }).retval;
  } catch (e) {
    if (e instanceof VppApiError) return e.retval;
    throw e;
  }
}

/** LbOps over the socket: the client encodes requests, the server decodes them and asks SimLb. */
function socketOps(client: VppClient, clock: { t: number }): LbOps {
  return {
    setTime: (t) => {
      clock.t = t;
    },
    conf: (ip4, ip6, sticky, timeout) =>
      retvalOf(
        client.request(LbConfDef, {
          ip4_src_address: Uint8Array.from(parseAddress(ip4).bytes),
          ip6_src_address: Uint8Array.from(parseAddress(ip6).bytes),
          sticky_buckets_per_core: sticky,
          flow_timeout: timeout,
        }),
      ),
    addVip: (k, encap, tableLength = 1024) =>
      retvalOf(
        client.request(LbAddDelVipV2Def, {
          pfx: pfxIn(k),
          protocol: k.protocol,
          port: k.port,
          encap: LB_ENCAP[encap],
          dscp: 0,
          type: 0,
          target_port: 0,
          node_port: 0,
          new_flows_table_length: tableLength,
          src_ip_sticky: false,
          is_del: false,
        }),
      ),
    delVip: (k) =>
      retvalOf(
        client.request(LbAddDelVipV2Def, {
          pfx: pfxIn(k),
          protocol: k.protocol,
          port: k.port,
          encap: 0,
          dscp: 0,
          type: 0,
          target_port: 0,
          node_port: 0,
          src_ip_sticky: false,
          is_del: true,
        }),
      ),
    addAs: (k, a, weight = 100) =>
      retvalOf(
        client.request(LbAddDelAsV2Def, {
          pfx: pfxIn(k),
          protocol: k.protocol,
          port: k.port,
          as_address: addressIn(parseAddress(a)),
          weight,
          is_del: false,
          is_flush: false,
        }),
      ),
    delAs: (k, a) =>
      retvalOf(
        client.request(LbAddDelAsV2Def, {
          pfx: pfxIn(k),
          protocol: k.protocol,
          port: k.port,
          as_address: addressIn(parseAddress(a)),
          is_del: true,
          is_flush: true,
        }),
      ),
    setWeight: (k, a, weight) =>
      retvalOf(
        client.request(LbAsSetWeightDef, {
          pfx: pfxIn(k),
          protocol: k.protocol,
          port: k.port,
          as_address: addressIn(parseAddress(a)),
          weight,
          is_flush: false,
        }),
      ),
    flush: (k) =>
      retvalOf(client.request(LbFlushVipDef, { pfx: pfxIn(k), protocol: k.protocol, port: k.port })),
    asDump: async (f = 'all') => {
      const filter =
        f === 'all'
          ? { pfx: { address: { af: 0, un: new Uint8Array(16) }, len: 0 }, protocol: 0, port: 0 }
          : { pfx: pfxIn(f.key, f.form), protocol: f.key.protocol, port: f.key.port };
      const details = (await client.dump(LbAsV2DumpDef, filter)) as LbAsV2Details[];
      return details.map(
        (d): AsRow => ({
          vip: `${addrText(d.vip.pfx.address.af, d.vip.pfx.address.un)}/${d.vip.pfx.len} ${d.vip.protocol}:${d.vip.port}`,
          address: addrText(d.app_srv.af, d.app_srv.un),
          flags: d.flags,
          inUseSince: d.in_use_since,
          weight: d.weight,
          numBuckets: d.num_buckets,
        }),
      );
    },
    vipDump: async () => {
      // A filter naming nothing that exists: VPP ignores it.
      const details = (await client.dump(LbVipDumpDef, {
        pfx: { address: { af: 1, un: new Uint8Array(16).fill(0xee) }, len: 64 },
        pfx_matcher: { le: 0, ge: 0 },
        protocol: 17,
        port: 9,
      })) as LbVipDetails[];
      return details.map((d) => ({
        vip: `${addrText(d.vip.pfx.address.af, d.vip.pfx.address.un)}/${d.vip.pfx.len} ${d.vip.protocol}:${d.vip.port}`,
        encap: d.encap,
        flowTableLength: d.flow_table_length,
      }));
    },
  };
}

describe('every case of lb_retvals_observed.json through a real socket', () => {
  let fake: FakeVpp;
  let client: VppClient;
  const clock = { t: 5 };
  beforeAll(async () => {
    fake = await FakeVpp.start();
    client = new VppClient({ socketPath: fake.path, livenessIntervalMs: 0 });
    client.start();
    await client.waitUntilConnected(5_000);
  });
  afterAll(async () => {
    await client.close();
    await fake.stop();
  });
  /** A fresh SimLb at uptime 5 s behind the same server for every case. */
  function fresh(): LbOps {
    clock.t = 5;
    fake.setHandler(createSimLbHandler(new SimLb({ clock: () => clock.t })));
    return socketOps(client, clock);
  }

  for (const c of observedCases) {
    const key = caseKey(c);
    if (c.details !== undefined) {
      it(`${c.request}: ${c.case}`, async () => {
        const scenario = dumpScenarios[key];
        expect(scenario, key).toBeDefined();
        await (scenario as (lb: LbOps) => Promise<void>)(fresh());
      });
    } else {
      it(`${c.request}: ${c.case} → ${expectedRetval(c)}`, async () => {
        const scenario = retvalScenarios[key];
        expect(scenario, key).toBeDefined();
        expect(await (scenario as (lb: LbOps) => Promise<number>)(fresh())).toBe(expectedRetval(c));
      });
    }
  }
});

// ---- Byte-for-byte replay of the captured sessions ----

interface Msg {
  t: number;
  name: string;
  dir: 'client_to_vpp' | 'vpp_to_client';
  header_hex: string;
  payload_hex: string;
  decoded: Record<string, unknown>;
}
interface Session {
  message_table: Record<string, string>;
  messages_in_order: Msg[];
}

/** A raw client: writes frames as recorded and collects whole reply frames. */
class RawClient {
  readonly frames: Buffer[] = [];
  private buf = Buffer.alloc(0);
  private constructor(private readonly sock: Socket) {
    sock.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      while (this.buf.length >= 16) {
        const len = this.buf.readUInt32BE(8);
        if (this.buf.length < 16 + len) break;
        this.frames.push(Buffer.from(this.buf.subarray(16, 16 + len)));
        this.buf = this.buf.subarray(16 + len);
      }
    });
  }
  static connect(path: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = createConnection(path, () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }
  send(headerHex: string, payloadHex: string): void {
    this.sock.write(Buffer.concat([Buffer.from(headerHex, 'hex'), Buffer.from(payloadHex, 'hex')]));
  }
  /** Waits (at most 5 s) until `n` frames have arrived in total. */
  async waitFor(n: number): Promise<void> {
    const deadline = Date.now() + 5_000;
    while (this.frames.length < n) {
      if (Date.now() > deadline) throw new Error(`waited 5 s for ${n} frames, have ${this.frames.length}`);
      await new Promise((r) => setTimeout(r, 1));
    }
  }
  close(): void {
    this.sock.destroy();
  }
}

const isShowVersion = (m: Msg) => m.name === 'show_version' || m.name === 'show_version_reply';

const servers: VppServer[] = [];
const rawClients: RawClient[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const c of rawClients.splice(0)) c.close();
  for (const s of servers.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/**
 * replaySession sends every recorded request frame (same message IDs, same client_index, same bytes) to a
 * server with the captured message table, at the recorded VPP uptime, and compares each reply payload with
 * what the real VPP sent. Returns how many lb replies and details were compared.
 */
async function replaySession(file: string, vppStartOffsetS: number): Promise<number> {
  const session = JSON.parse(
    readFileSync(new URL(`../fixtures/${file}`, import.meta.url), 'utf8'),
  ) as Session;
  const msgs = session.messages_in_order;
  const pingReply = msgs.find((m) => m.name === 'control_ping_reply');
  const clock = { t: 0 };
  const dir = mkdtempSync(join(tmpdir(), 'simlb-replay-'));
  dirs.push(dir);
  const server = new VppServer({
    path: join(dir, 'api.sock'),
    handler: createSimLbHandler(new SimLb({ clock: () => clock.t })),
    table: Object.entries(session.message_table).map(([id, nameCrc]) => [Number(id), nameCrc] as const),
    vpePid: pingReply?.decoded.vpe_pid as number,
  });
  servers.push(server);
  await server.listen();
  const raw = await RawClient.connect(server.path);
  rawClients.push(raw);

  // Requests go out in recorded groups (consecutive client frames) at the recorded uptime; VPP's frames are
  // compared in stream order (a dump's details may arrive before its control_ping is sent).
  const expected = msgs.filter((m) => m.dir === 'vpp_to_client' && !isShowVersion(m));
  let compared = 0;
  let seen = 0;
  let i = 0;
  while (i < msgs.length) {
    const sent: Msg[] = [];
    while (i < msgs.length && (msgs[i] as Msg).dir === 'client_to_vpp') sent.push(msgs[i++] as Msg);
    while (i < msgs.length && (msgs[i] as Msg).dir === 'vpp_to_client') i++;
    const toSend = sent.filter((m) => !isShowVersion(m));
    if (toSend.length === 0) continue;
    clock.t = vppStartOffsetS + (toSend[0] as Msg).t;
    for (const m of toSend) raw.send(m.header_hex, m.payload_hex);
    const upTo = expected.filter((m) => msgs.indexOf(m) < i).length;
    await raw.waitFor(upTo);
    for (; seen < raw.frames.length; seen++) {
      const want = expected[seen];
      expect(want, `an extra frame: ${(raw.frames[seen] as Buffer).toString('hex')}`).toBeDefined();
      const frame = raw.frames[seen] as Buffer;
      const w = want as Msg;
      if (w.name === 'sockclnt_create_reply') {
        // Same handle as the real VPP (the recorded requests carry it); the table is the captured one.
        expect(frame.readInt32BE(10), 'response').toBe(0);
        expect(frame.readUInt32BE(14), 'index').toBe(w.decoded.index);
        expect(frame.readUInt16BE(18), 'count').toBe(Object.keys(session.message_table).length);
        continue;
      }
      expect(frame.toString('hex'), `${file} t=${w.t} ${w.name} ${JSON.stringify(w.decoded)}`).toBe(
        w.payload_hex,
      );
      if (w.name.startsWith('lb_')) compared++;
    }
  }
  await new Promise((r) => setTimeout(r, 20));
  expect(raw.frames.length, 'frames in all').toBe(expected.length);
  return compared;
}

describe('real VPP sessions replayed through the socket give byte-identical replies', () => {
  it('lb_session.json', async () => {
    // in_use_since 1 for a delete at capture t=0.57 puts VPP start 0.43..1.43 s before capture t=0.
    expect(await replaySession('lb_session.json', 1.0)).toBe(16);
  });
  it('lb_session2.json (t=0 is VPP uptime 5.095 s; GC ticks, slot reuse, stale in_use_since)', async () => {
    expect(await replaySession('lb_session2.json', 5.095)).toBe(439);
  });
});

describe('v1 messages, conf, NAT encodings and interfaces through the socket', () => {
  let fake: FakeVpp;
  let client: VppClient;
  beforeAll(async () => {
    fake = await FakeVpp.start({ handler: createSimLbHandler(new SimLb({ clock: () => 42 })) });
    client = new VppClient({ socketPath: fake.path, livenessIntervalMs: 0 });
    client.start();
    await client.waitUntilConnected(5_000);
  });
  afterAll(async () => {
    await client.close();
    await fake.stop();
  });

  it('lb_add_del_vip and lb_add_del_as (v1) add with weight 100; lb_as_dump lists without weights', async () => {
    const k = vipKeyOf('192.0.2.30/32', 6, 80);
    const base = { pfx: pfxIn(k), protocol: 6, port: 80 };
    await client.request(LbAddDelVipDef, {
      ...base,
      encap: 0,
      dscp: 0,
      type: 0,
      target_port: 0,
      node_port: 0,
      is_del: false,
    });
    await client.request(LbAddDelAsDef, {
      ...base,
      as_address: addressIn(parseAddress('10.0.0.1')),
      is_del: false,
      is_flush: false,
    });
    const v1 = (await client.dump(LbAsDumpDef, { ...base, pfx: pfxIn(k, 'ip46') })) as LbAsDetails[];
    expect(v1.map((d) => [addrText(d.app_srv.af, d.app_srv.un), d.flags, d.in_use_since])).toEqual([
      ['10.0.0.1', 1, 0],
    ]);
    const v2 = (await client.dump(LbAsV2DumpDef, { ...base, pfx: pfxIn(k, 'ip46') })) as LbAsV2Details[];
    expect(v2.map((d) => [d.weight, d.num_buckets])).toEqual([[100, 1024]]);
  });

  it('lb_conf then lb_conf_get round-trips the addresses; ~0 keeps sticky buckets and timeout', async () => {
    await client.request(LbConfDef, {
      ip4_src_address: Uint8Array.from([10, 255, 0, 1]),
      ip6_src_address: Uint8Array.from(parseAddress('2001:db8::1').bytes),
      sticky_buckets_per_core: 2048,
      flow_timeout: 30,
    });
    await client.request(LbConfDef, {
      ip4_src_address: Uint8Array.from([10, 255, 0, 2]),
      ip6_src_address: Uint8Array.from(parseAddress('2001:db8::2').bytes),
    });
    const c = (await client.request(LbConfGetDef, {})) as LbConfGetReply;
    expect([
      [...c.ip4_src_address].join('.'),
      addressFromUn(c.ip6_src_address),
      c.sticky_buckets_per_core,
      c.flow_timeout,
    ]).toEqual(['10.255.0.2', '2001:db8::2', 2048, 30]);
  });

  it('a NAT4 VIP reads back with the service type from the first wire byte and the target port swapped', async () => {
    const k = vipKeyOf('192.0.2.31/32', 6, 80);
    await client.request(LbAddDelVipV2Def, {
      pfx: pfxIn(k),
      protocol: 6,
      port: 80,
      encap: LB_ENCAP.nat4,
      dscp: 0,
      type: 1, // NODEPORT, read by VPP without ntohl: CLUSTERIP on a little-endian host
      target_port: 8080,
      node_port: 0,
      src_ip_sticky: false,
      is_del: false,
    });
    const vips = (await client.dump(LbVipDumpDef, {
      pfx: pfxIn(k),
      pfx_matcher: { le: 0, ge: 0 },
      port: 80,
    })) as LbVipDetails[];
    const nat = vips.find((d) => d.encap === LB_ENCAP.nat4);
    expect([nat?.srv_type, nat?.target_port]).toEqual([0, 0x901f]);
  });

  it('lb_add_del_intf_nat4/6 accept local0 and refuse other interfaces with -2', async () => {
    expect(await retvalOf(client.request(LbAddDelIntfNat4Def, { is_add: true, sw_if_index: 0 }))).toBe(0);
    expect(await retvalOf(client.request(LbAddDelIntfNat6Def, { is_add: true, sw_if_index: 7 }))).toBe(-2);
  });
});
