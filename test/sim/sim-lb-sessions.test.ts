// Real VPP sessions (lb_session.json, lb_session2.json) replayed into SimLb from their decoded fields.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAddress, parsePrefix, toIp46 } from '../../src/model/address.js';
import { makeVipKey } from '../../src/model/vip-key.js';
import { rawVipKey, SimLb, simSrvTypeFromWire } from '../../src/sim/sim-lb.js';

interface Msg {
  t: number;
  name: string;
  dir: 'client_to_vpp' | 'vpp_to_client';
  payload_hex: string;
  decoded: Record<string, unknown>;
}
type Fields = Record<string, unknown>;

function load(file: string): Msg[] {
  const d = JSON.parse(readFileSync(new URL(`../fixtures/${file}`, import.meta.url), 'utf8')) as {
    messages_in_order: Msg[];
  };
  return d.messages_in_order;
}

const num = (f: Fields, k: string) => f[k] as number;
const str = (f: Fields, k: string) => f[k] as string;
const keyOf = (f: Fields) =>
  rawVipKey(makeVipKey(parsePrefix(str(f, 'pfx')), num(f, 'protocol'), num(f, 'port')));

/** What SimLb answers to one decoded request, in the decoded shape vpp_papi recorded. */
function answer(sim: SimLb, m: Msg): Fields[] | undefined {
  const f = m.decoded;
  switch (m.name) {
    case 'lb_conf':
      return [
        {
          retval: sim.conf({
            ip4Src: parseAddress(str(f, 'ip4_src_address')),
            ip6Src: parseAddress(str(f, 'ip6_src_address')),
            stickyBucketsPerCore: num(f, 'sticky_buckets_per_core'),
            flowTimeout: num(f, 'flow_timeout'),
          }),
        },
      ];
    case 'lb_conf_get': {
      const c = sim.confGet();
      return [
        {
          retval: 0,
          ip4_src_address: c.ip4Src.text,
          ip6_src_address: c.ip6Src.text,
          sticky_buckets_per_core: c.stickyBucketsPerCore,
          flow_timeout: c.flowTimeout,
        },
      ];
    }
    case 'lb_add_del_vip_v2':
      return [
        {
          retval: f.is_del
            ? sim.delVipRaw(keyOf(f))
            : sim.addVipRaw({
                ...keyOf(f),
                encap: num(f, 'encap'),
                dscp: num(f, 'dscp') & 0x3f,
                srvType: simSrvTypeFromWire(num(f, 'type')),
                targetPort: num(f, 'target_port'),
                tableLength: num(f, 'new_flows_table_length'),
                srcIpSticky: f.src_ip_sticky === true,
              }),
        },
      ];
    case 'lb_add_del_as_v2': {
      const as = toIp46(parseAddress(str(f, 'as_address')));
      return [
        { retval: f.is_del ? sim.delAsRaw(keyOf(f), as) : sim.addAsRaw(keyOf(f), as, num(f, 'weight')) },
      ];
    }
    case 'lb_as_set_weight':
      return [
        {
          retval: sim.setAsWeightRaw(keyOf(f), toIp46(parseAddress(str(f, 'as_address'))), num(f, 'weight')),
        },
      ];
    case 'lb_flush_vip':
      return [{ retval: sim.flushVip() }];
    case 'lb_as_v2_dump': {
      // vpp_papi decodes the union as IPv4 bytes 0..3; the raw 16 bytes are what VPP compares.
      const p = Buffer.from(m.payload_hex, 'hex');
      const filter = {
        union: new Uint8Array(p.subarray(11, 27)),
        protocol: p[28] as number,
        port: p.readUInt16BE(29),
      };
      return sim.asDump(filter).map((d) => ({
        vip: {
          pfx: `${d.vip.prefix.address.text}/${d.vip.prefix.len}`,
          protocol: d.vip.protocol,
          port: d.vip.port,
        },
        app_srv: d.address.text,
        flags: d.flags,
        in_use_since: d.inUseSince,
        weight: d.weight,
        num_buckets: d.numBuckets,
      }));
    }
    case 'lb_vip_dump':
      return sim.vipDump().map((d) => ({
        vip: { pfx: `${d.prefix.address.text}/${d.prefix.len}`, protocol: d.protocol, port: d.port },
        encap: d.encap,
        dscp: d.dscp,
        srv_type: d.srvType,
        target_port: d.targetPort,
        flow_table_length: d.flowTableLength,
      }));
    default:
      return undefined;
  }
}

const DROP_KEYS = new Set(['_vl_msg_id', 'context']);
function strip(f: Fields): Fields {
  return Object.fromEntries(Object.entries(f).filter(([k]) => !DROP_KEYS.has(k)));
}

/** Replays a session; returns the number of lb requests compared. */
function replay(file: string, vppStartOffsetS: number): number {
  const msgs = load(file);
  const clock = { t: 0 };
  const sim = new SimLb({ clock: () => clock.t });
  let compared = 0;
  for (let i = 0; i < msgs.length; i++) {
    const m = msgs[i] as Msg;
    if (m.dir !== 'client_to_vpp' || !m.name.startsWith('lb_')) continue;
    clock.t = vppStartOffsetS + m.t;
    const got = answer(sim, m);
    expect(got, `${file}: no simulation of ${m.name}`).toBeDefined();
    // VPP's answers: every later message with this context up to the next request's answers.
    const ctx = m.decoded.context;
    const want: Fields[] = [];
    for (let j = i + 1; j < msgs.length; j++) {
      const r = msgs[j] as Msg;
      if (r.dir !== 'vpp_to_client' || r.decoded.context !== ctx || r.name === 'control_ping_reply') continue;
      want.push(strip(r.decoded));
    }
    expect(got, `${file} t=${m.t} ${m.name} ${JSON.stringify(m.decoded)}`).toEqual(want);
    compared++;
  }
  return compared;
}

describe('real VPP sessions replayed into SimLb give the same answers', () => {
  it('lb_session.json (VIP, weights, duplicate, set_weight, dumps, delete, bad length)', () => {
    // in_use_since 1 for a delete at capture t=0.57 puts VPP start 0.43..1.43 s before capture t=0.
    expect(replay('lb_session.json', 1.0)).toBe(14);
  });
  it('lb_session2.json (conf, families, quirky filters, reuse, VIP re-add, inline and periodic GC, W > M)', () => {
    // The capture notes: t=0 is VPP uptime 5.095 s.
    expect(replay('lb_session2.json', 5.095)).toBe(91);
  });
});
