// Builds the immutable DesiredModel from a validated config: every default applied, names resolved, frozen.
import { parseAddress, parsePrefix } from '../model/address.js';
import type {
  BackendSpec,
  DesiredModel,
  FrontendSpec,
  HealthcheckSpec,
  LbSettings,
  PoolMember,
  PoolSpec,
  StatusRange,
} from '../model/desired.js';
import { makeVipKey, type ProtocolName, protocolNumber } from '../model/vip-key.js';
import { MaglevError } from '../util/errors.js';
import { parseDuration } from './duration.js';
import type { KeyPath } from './issues.js';
import { DEFAULTS, type RawFrontend, type RawHealthcheck, type RawMaglev } from './schema.js';

/**
 * ImmutableMap is a Map that refuses changes once built, so a model handed to many components cannot be
 * altered by one of them behind the others' backs (ReadonlyMap only stops that at compile time).
 */
export class ImmutableMap<K, V> extends Map<K, V> {
  #sealed = false;

  constructor(entries: Iterable<readonly [K, V]>) {
    super();
    for (const [k, v] of entries) super.set(k, v);
    this.#sealed = true;
    Object.freeze(this);
  }

  override set(key: K, value: V): this {
    if (this.#sealed) throw new TypeError('the desired model is immutable');
    return super.set(key, value);
  }

  override delete(_key: K): boolean {
    throw new TypeError('the desired model is immutable');
  }

  override clear(): void {
    throw new TypeError('the desired model is immutable');
  }
}

/** Tells the builder the document order of a map's keys (JS objects put integer-like keys first). */
export type KeyOrder = (path: KeyPath) => readonly string[] | undefined;

function orderedKeys(obj: object, path: KeyPath, order: KeyOrder | undefined): string[] {
  const own = Object.keys(obj);
  const doc = order?.(path);
  if (doc === undefined) return own;
  const present = new Set(own);
  const out = doc.filter((k) => present.has(k));
  const seen = new Set(out);
  for (const k of own) if (!seen.has(k)) out.push(k);
  return [...new Set(out)];
}

const ms = (d: string): number => {
  const v = parseDuration(d);
  // Stage 1 accepted every duration string, so this is a bug if it ever fires.
  if (typeof v !== 'number') throw new MaglevError('ERR_INTERNAL', `unvalidated duration ${d}`);
  return v;
};

function statusRange(s: number | string): StatusRange {
  if (typeof s === 'number') return Object.freeze([s, s] as const);
  const [lo, hi] = s.split('-');
  return Object.freeze([Number(lo), Number(hi ?? lo)] as const);
}

function buildHealthcheck(name: string, hc: RawHealthcheck): HealthcheckSpec {
  const http = hc.type === 'http' || hc.type === 'https';
  const interval = ms(hc.interval);
  const src4 = hc['ipv4-source-address'];
  const src6 = hc['ipv6-source-address'];
  return Object.freeze({
    name,
    type: hc.type,
    port: hc.type === 'icmp' ? undefined : hc.port,
    path: http ? hc.path : DEFAULTS.path,
    host: http ? hc.host : undefined,
    expectStatus: Object.freeze((http ? hc['expect-status'] : [DEFAULTS.expectStatus]).map(statusRange)),
    insecure: hc.type === 'https' ? hc.insecure : false,
    headers: Object.freeze(http ? { ...hc.headers } : {}),
    sourceV4: src4 === undefined ? undefined : parseAddress(src4),
    sourceV6: src6 === undefined ? undefined : parseAddress(src6),
    intervalMs: interval,
    fastIntervalMs: hc['fast-interval'] === undefined ? interval : ms(hc['fast-interval']),
    downIntervalMs: hc['down-interval'] === undefined ? interval : ms(hc['down-interval']),
    timeoutMs: ms(hc.timeout),
    rise: hc.rise,
    fall: hc.fall,
  });
}

function buildFrontend(
  name: string,
  fe: RawFrontend,
  backends: ReadonlyMap<string, BackendSpec>,
  lb: LbSettings,
  order: KeyOrder | undefined,
): FrontendSpec {
  const pools: PoolSpec[] = fe.pools.map((p, i) => {
    const members: PoolMember[] = orderedKeys(
      p.backends,
      ['maglev', 'frontends', name, 'pools', i, 'backends'],
      order,
    ).map((b) => Object.freeze({ backend: b, weight: p.backends[b]?.weight ?? DEFAULTS.weight }));
    return Object.freeze({ name: p.name, members: Object.freeze(members) });
  });
  const first = pools[0]?.members[0];
  const firstBackend = first === undefined ? undefined : backends.get(first.backend);
  if (firstBackend === undefined) {
    throw new MaglevError('ERR_INTERNAL', `frontend ${name} reached the model without a resolvable backend`);
  }
  const port = fe.port ?? 0;
  return Object.freeze({
    name,
    vip: makeVipKey(parsePrefix(fe.address), protocolNumber(fe.protocol as ProtocolName), port),
    encap: firstBackend.address.family === 4 ? 'gre4' : 'gre6',
    srcIpSticky: fe['src-ip-sticky'],
    flushOnDown: fe['flush-on-down'],
    newFlowsTableLength: fe['new-flows-table-length'] ?? lb.newFlowsTableLength,
    pools: Object.freeze(pools),
  });
}

/**
 * buildDesiredModel turns a config that passed both validation stages into the model. It assumes that
 * validation: an unresolved name here is a bug, reported as ERR_INTERNAL rather than a config error.
 */
export function buildDesiredModel(raw: RawMaglev, order?: KeyOrder): DesiredModel {
  const l = raw.vpp.lb;
  const v4 = l['ipv4-src-address'];
  const v6 = l['ipv6-src-address'];
  const lb: LbSettings = Object.freeze({
    ipv4SrcAddress: v4 === undefined ? undefined : parseAddress(v4),
    ipv6SrcAddress: v6 === undefined ? undefined : parseAddress(v6),
    stickyBucketsPerCore: l['sticky-buckets-per-core'],
    flowTimeoutS: ms(l['flow-timeout']) / 1000,
    newFlowsTableLength: l['new-flows-table-length'],
    syncIntervalMs: ms(l['sync-interval']),
    startupMinDelayMs: ms(l['startup-min-delay']),
    startupMaxDelayMs: ms(l['startup-max-delay']),
    removeUnknownVips: l['remove-unknown-vips'],
  });

  const healthchecks = new ImmutableMap(
    orderedKeys(raw.healthchecks, ['maglev', 'healthchecks'], order).map(
      (n) => [n, buildHealthcheck(n, raw.healthchecks[n] as RawHealthcheck)] as const,
    ),
  );
  const backends = new ImmutableMap<string, BackendSpec>(
    orderedKeys(raw.backends, ['maglev', 'backends'], order).map((n) => {
      const b = raw.backends[n];
      if (b === undefined) throw new MaglevError('ERR_INTERNAL', `backend ${n} vanished`);
      return [
        n,
        Object.freeze({
          name: n,
          address: parseAddress(b.address),
          healthcheck: b.healthcheck,
          enabled: b.enabled,
        }),
      ] as const;
    }),
  );
  const frontends = new ImmutableMap(
    orderedKeys(raw.frontends, ['maglev', 'frontends'], order).map(
      (n) => [n, buildFrontend(n, raw.frontends[n] as RawFrontend, backends, lb, order)] as const,
    ),
  );
  return Object.freeze({
    healthchecker: Object.freeze({
      transitionHistory: raw.healthchecker['transition-history'],
      maxConcurrentProbes: raw.healthchecker['max-concurrent-probes'],
      stateTtlMs: ms(raw.healthchecker['state-ttl']),
    }),
    vpp: Object.freeze({ apiTimeoutMs: ms(raw.vpp['api-timeout']), lb }),
    healthchecks,
    backends,
    frontends,
  });
}
