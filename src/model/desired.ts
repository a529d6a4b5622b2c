// The desired model: the validated configuration with every default applied. Immutable; produced by src/config.
import type { IpAddress } from './address.js';
import type { VipKey } from './vip-key.js';

export type HealthcheckType = 'icmp' | 'tcp' | 'http' | 'https';

/** An inclusive range of HTTP status codes, e.g. [200, 399]. */
export type StatusRange = readonly [number, number];

export interface HealthcheckSpec {
  readonly name: string;
  readonly type: HealthcheckType;
  /** tcp/http/https: the port to probe; undefined for icmp. */
  readonly port: number | undefined;
  /** http/https: request path; default "/". */
  readonly path: string;
  /** http/https: Host header (and SNI for https); undefined means the backend's address. */
  readonly host: string | undefined;
  /** http/https: accepted statuses; default [[200, 399]]. */
  readonly expectStatus: readonly StatusRange[];
  /** https: skip certificate verification. */
  readonly insecure: boolean;
  /** http/https: extra request headers (values are secrets in logs: redacted). */
  readonly headers: Readonly<Record<string, string>>;
  /** Optional probe source address per family. */
  readonly sourceV4: IpAddress | undefined;
  readonly sourceV6: IpAddress | undefined;
  readonly intervalMs: number;
  readonly fastIntervalMs: number;
  readonly downIntervalMs: number;
  readonly timeoutMs: number;
  readonly rise: number;
  readonly fall: number;
}

export interface BackendSpec {
  readonly name: string;
  readonly address: IpAddress;
  readonly healthcheck: string;
  /** Configured enabled flag; false starts the backend `disabled`. */
  readonly enabled: boolean;
}

export interface PoolMember {
  readonly backend: string;
  /** Configured weight 0..100. */
  readonly weight: number;
}

export interface PoolSpec {
  readonly name: string;
  /** Members in config order. */
  readonly members: readonly PoolMember[];
}

export type Encap = 'gre4' | 'gre6';

export interface FrontendSpec {
  readonly name: string;
  readonly vip: VipKey;
  /** gre4 for IPv4 backends, gre6 for IPv6 backends (spec §6). */
  readonly encap: Encap;
  readonly srcIpSticky: boolean;
  readonly flushOnDown: boolean;
  /** Maglev new-flow table length M for this VIP (a power of two, 1..65536). */
  readonly newFlowsTableLength: number;
  /** Pools in priority order. */
  readonly pools: readonly PoolSpec[];
}

export interface LbSettings {
  readonly ipv4SrcAddress: IpAddress | undefined;
  readonly ipv6SrcAddress: IpAddress | undefined;
  readonly stickyBucketsPerCore: number;
  readonly flowTimeoutS: number;
  readonly newFlowsTableLength: number;
  readonly syncIntervalMs: number;
  readonly startupMinDelayMs: number;
  readonly startupMaxDelayMs: number;
  readonly removeUnknownVips: boolean;
}

export interface VppSettings {
  readonly apiTimeoutMs: number;
  readonly lb: LbSettings;
}

export interface HealthcheckerSettings {
  readonly transitionHistory: number;
  readonly maxConcurrentProbes: number;
  /** At start, persisted health younger than this seeds a backend's state (spec §4); 0 ignores it. */
  readonly stateTtlMs: number;
}

/** DesiredModel is what the config says, fully defaulted. Maps iterate in config order. */
export interface DesiredModel {
  readonly healthchecker: HealthcheckerSettings;
  readonly vpp: VppSettings;
  readonly healthchecks: ReadonlyMap<string, HealthcheckSpec>;
  readonly backends: ReadonlyMap<string, BackendSpec>;
  readonly frontends: ReadonlyMap<string, FrontendSpec>;
}
