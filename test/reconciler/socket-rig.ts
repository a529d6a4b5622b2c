// The whole path under test: Reconciler → VppLbDataplane → VppClient → unix socket → FakeVpp → SimLb.
import { expect } from 'vitest';
import {
  LbAddDelAsV2Def,
  LbAddDelVipV2Def,
  LbAsSetWeightDef,
  LbAsV2DumpDef,
  LbConfDef,
  LbConfGetDef,
  LbVipDumpDef,
} from 'vpp-binapi-ts/lb';
import type { MessageDef } from 'vpp-binapi-ts/runtime';
import { LB_REQUIRED_MESSAGES, VppLbDataplane } from '../../src/dataplane/vpp-lb-dataplane.js';
import { silentLogger } from '../../src/log/logger.js';
import { addressFromBytes, compareAddress, type IpAddress, makePrefix } from '../../src/model/address.js';
import type { DesiredModel } from '../../src/model/desired.js';
import type { BackendHealth, BackendState, HealthSnapshot } from '../../src/model/health.js';
import { makeVipKey, type VipKey, vipKeyString } from '../../src/model/vip-key.js';
import { type PassInfo, Reconciler, type ReconcilerOptions } from '../../src/reconciler/reconciler.js';
import { followVppState } from '../../src/reconciler/vpp-wiring.js';
import { SimLb } from '../../src/sim/sim-lb.js';
import { createSimLbHandler } from '../../src/sim/sim-lb-handler.js';
import { VppClient } from '../../src/vppapi/client.js';
import { FakeVpp, type FakeVppOptions } from '../fakes/fake-vpp.js';
import { ManualClock } from '../fakes/manual-clock.js';

const LB_DEFS: readonly MessageDef[] = [
  LbConfGetDef,
  LbConfDef,
  LbVipDumpDef,
  LbAsV2DumpDef,
  LbAddDelVipV2Def,
  LbAddDelAsV2Def,
  LbAsSetWeightDef,
];

interface WireAddr {
  af: number;
  un: Uint8Array;
}
interface WireVip {
  pfx: { address: WireAddr; len: number };
  protocol: number;
  port: number;
}

function addr(a: WireAddr): IpAddress {
  return addressFromBytes(a.af === 0 ? a.un.subarray(0, 4) : a.un.subarray(0, 16));
}

function vipText(v: WireVip): string {
  return vipKeyString(makeVipKey(makePrefix(addr(v.pfx.address), v.pfx.len), v.protocol, v.port));
}

/** renderCall writes one lb request as the daemon sent it, decoded from the bytes the fake received. */
function renderCall(def: MessageDef, value: unknown): string {
  const m = value as Record<string, unknown> & WireVip;
  const flush = (f: unknown) => (f ? ' flush' : '');
  switch (def.name) {
    case 'lb_conf_get':
      return 'conf-get';
    case 'lb_conf': {
      const c = value as {
        ip4_src_address: Uint8Array;
        ip6_src_address: Uint8Array;
        sticky_buckets_per_core: number;
        flow_timeout: number;
      };
      return `conf ${addressFromBytes(c.ip4_src_address).text} ${addressFromBytes(c.ip6_src_address).text} ${c.sticky_buckets_per_core} ${c.flow_timeout}`;
    }
    case 'lb_vip_dump':
      return 'dump-vips';
    case 'lb_as_v2_dump':
      return 'dump-ases';
    case 'lb_add_del_vip_v2':
      return m.is_del
        ? `vip-del ${vipText(m)}`
        : `vip-add ${vipText(m)} ${m.encap === 0 ? 'gre4' : 'gre6'} ${m.new_flows_table_length}${m.src_ip_sticky ? ' sticky' : ''}`;
    case 'lb_add_del_as_v2':
      return m.is_del
        ? `as-del ${vipText(m)} ${addr(m.as_address as WireAddr).text}${flush(m.is_flush)}`
        : `as-add ${vipText(m)} ${addr(m.as_address as WireAddr).text} ${m.weight}`;
    case 'lb_as_set_weight':
      return `as-weight ${vipText(m)} ${addr(m.as_address as WireAddr).text} ${m.weight}${flush(m.is_flush)}`;
    default:
      return def.name;
  }
}

/** simLines renders SimLb's live state: one line per used VIP with its used ASs and weights, sorted. */
export function simLines(sim: SimLb): string[] {
  const st = sim.state();
  const ases = sim.asDump();
  return sim
    .vipDump()
    .map((v) => {
      const key = makeVipKey(makePrefix(v.prefix.address, v.prefix.len), v.protocol, v.port);
      const used = ases
        .filter((a) => a.vipIndex === v.vipIndex && (a.flags & 1) === 1)
        .sort((a, b) => compareAddress(a.address, b.address))
        .map((a) => `${a.address.text}=${a.weight}`);
      const sticky = st.vips[v.vipIndex]?.srcIpSticky ? ' sticky' : '';
      return `${vipKeyString(key)} ${v.encap === 0 ? 'gre4' : 'gre6'} ${v.flowTableLength}${sticky}: ${used.join(' ')}`;
    })
    .sort();
}

/** bucketOwners: a VIP's new-flow table in SimLb as the owner address per bucket ('-' = dropped). */
export function bucketOwners(sim: SimLb, key: VipKey): string[] {
  const t = sim.tableOf(key);
  if (!t) return [];
  const ass = sim.state().ass;
  return [...t].map((i) => (i === 0 ? '-' : (ass[i]?.address.text ?? '?')));
}

/** HealthInput: backend name → state; `removed:down` / `paused:up` give the last known state too. */
export type HealthInput = Record<string, string>;

let generation = 0;

/**
 * healthOf builds a snapshot like the checker's: backends in the model take the given state (default
 * unknown); names given but absent from the model are `removed` at their last address in `addresses`.
 */
export function healthOf(
  model: DesiredModel,
  states: HealthInput,
  addresses: ReadonlyMap<string, IpAddress>,
): HealthSnapshot {
  const backends = new Map<string, BackendHealth>();
  const entry = (name: string, address: IpAddress, s: string): BackendHealth => {
    const [state, last] = s.split(':') as [BackendState, string | undefined];
    const lastKnown = (last ??
      (state === 'up' || state === 'down' ? state : 'unknown')) as BackendHealth['lastKnown'];
    return {
      name,
      address,
      state,
      lastKnown,
      health: state === 'up' ? 4 : 0,
      lastResult: undefined,
      history: [],
      since: 0,
    };
  };
  for (const [name, spec] of model.backends) {
    backends.set(name, entry(name, spec.address, states[name] ?? 'unknown'));
  }
  for (const [name, s] of Object.entries(states)) {
    const address = addresses.get(name);
    if (backends.has(name) || !address || !s.startsWith('removed')) continue;
    backends.set(name, entry(name, address, s));
  }
  return { generation: ++generation, backends };
}

export interface RigOptions {
  readonly fake?: Partial<FakeVppOptions>;
  /** Use real time (performance.now, setTimeout) instead of the manual clock: for hung-VPP cases. */
  readonly realTime?: boolean;
  readonly reconciler?: Partial<ReconcilerOptions>;
  /** Things to do to SimLb before the daemon connects (someone else's VIPs). */
  readonly before?: (sim: SimLb) => void;
}

/** waitFor polls real time (every 2 ms) until `cond` holds, or throws after `ms`. */
export async function waitFor(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

interface RigParts {
  readonly clock: ManualClock;
  readonly simClock: () => number;
  readonly sim: SimLb;
  readonly fake: FakeVpp;
  readonly client: VppClient;
  readonly model: DesiredModel;
  readonly states: HealthInput;
  readonly addresses: Map<string, IpAddress>;
}

/** Rig: one daemon's reconciler against one fake VPP, with helpers for step tables. */
export class Rig {
  readonly clock: ManualClock;
  readonly fake: FakeVpp;
  readonly client: VppClient;
  readonly r: Reconciler;
  readonly passes: PassInfo[] = [];
  readonly addresses: Map<string, IpAddress>;
  sim: SimLb;
  model: DesiredModel;
  states: HealthInput;
  readonly #simClock: () => number;
  #seenFrames: readonly unknown[] | undefined;
  #seen = 0;
  readonly #unwire: () => void;

  private constructor(p: RigParts, reconciler: Partial<ReconcilerOptions>, realTime: boolean) {
    this.clock = p.clock;
    this.#simClock = p.simClock;
    this.sim = p.sim;
    this.fake = p.fake;
    this.client = p.client;
    this.model = p.model;
    this.states = p.states;
    this.addresses = p.addresses;
    this.r = new Reconciler({
      // The adapter reads api-timeout from the model in force, as the daemon's would.
      dataplane: new VppLbDataplane(p.client, () => this.model.vpp.apiTimeoutMs),
      logger: silentLogger(),
      model: p.model,
      health: healthOf(p.model, p.states, p.addresses),
      onPass: (x) => this.passes.push(x),
      ...(realTime ? {} : { now: p.clock.now, sleep: p.clock.sleep, setTimer: p.clock.setTimer }),
      ...reconciler,
    });
    this.#unwire = followVppState(p.client, this.r);
  }

  static async start(model: DesiredModel, states: HealthInput, opts: RigOptions = {}): Promise<Rig> {
    const clock = new ManualClock();
    const realStart = performance.now();
    const simClock = opts.realTime ? () => (performance.now() - realStart) / 1000 : clock.seconds;
    const sim = new SimLb({ clock: simClock });
    opts.before?.(sim);
    const fake = await FakeVpp.start({ handler: createSimLbHandler(sim), ...opts.fake });
    const client = new VppClient({
      socketPath: fake.path,
      livenessIntervalMs: 0,
      requiredMessages: LB_REQUIRED_MESSAGES,
      backoff: { initialMs: 20, maxMs: 100 },
    });
    const addresses = new Map<string, IpAddress>();
    for (const [n, b] of model.backends) addresses.set(n, b.address);
    const rig = new Rig(
      { clock, simClock, sim, fake, client, model, states, addresses },
      opts.reconciler ?? {},
      opts.realTime ?? false,
    );
    client.start();
    return rig;
  }

  /** settle waits for the connection and for the reconciler to go idle. */
  async settle(): Promise<void> {
    await waitFor(() => this.r.connected, 'the reconciler to see VPP connected');
    await this.r.whenIdle();
  }

  /** calls returns the lb requests VPP received since the last call, decoded. */
  calls(): string[] {
    const frames = this.fake.received;
    if (frames !== this.#seenFrames) {
      this.#seenFrames = frames;
      this.#seen = 0;
    }
    const byId = new Map<number, MessageDef>();
    for (const d of LB_DEFS) byId.set(this.fake.idOf(d), d);
    const out: string[] = [];
    for (const f of frames.slice(this.#seen)) {
      const def = byId.get(f.msgId);
      if (def) out.push(renderCall(def, def.decode(f.payload)));
    }
    this.#seen = frames.length;
    return out;
  }

  // ---- actions for step tables ----

  /** health merges `patch` into the backend states and tells the reconciler which backends changed. */
  health(patch: HealthInput): void {
    this.states = { ...this.states, ...patch };
    this.r.setHealth(healthOf(this.model, this.states, this.addresses), Object.keys(patch));
  }

  /** config reloads a model; `states` is health as the checker then has it (default: unchanged). */
  config(model: DesiredModel, states: HealthInput = this.states): void {
    this.model = model;
    for (const [n, b] of model.backends) this.addresses.set(n, b.address);
    this.states = states;
    this.r.setModel(model);
    this.r.setHealth(healthOf(model, states, this.addresses));
  }

  /** restartVpp: VPP restarts empty (a fresh SimLb) with its message IDs moved by `renumberOffset`. */
  async restartVpp(renumberOffset: number): Promise<void> {
    this.sim = new SimLb({ clock: this.#simClock });
    this.fake.setHandler(createSimLbHandler(this.sim));
    await this.fake.restart({ renumberOffset });
  }

  async stop(): Promise<void> {
    this.#unwire();
    await this.r.stop();
    await this.client.close();
    await this.fake.stop();
  }
}

/** One row of a step table: what happens, then the calls VPP receives and the state it ends in. */
export interface Step {
  readonly what: string;
  readonly act?: (rig: Rig) => void | Promise<void>;
  /** The exact lb requests, in order (omit to not check). */
  readonly calls?: readonly string[];
  /** SimLb's live state afterwards (omit to not check). */
  readonly live?: readonly string[];
  /** Any further check. */
  readonly check?: (rig: Rig) => void | Promise<void>;
}

/** runSteps plays a step table; a failure names its row. */
export async function runSteps(rig: Rig, steps: readonly Step[]): Promise<void> {
  for (const s of steps) {
    await s.act?.(rig);
    await rig.settle();
    const calls = rig.calls();
    await s.check?.(rig);
    if (s.calls) expect({ step: s.what, calls }).toEqual({ step: s.what, calls: s.calls });
    if (s.live) expect({ step: s.what, live: simLines(rig.sim) }).toEqual({ step: s.what, live: s.live });
    await s.check?.(rig);
  }
}
