// The probe contract: one attempt against one address, always settling with a ProbeResult value.
import type { IpAddress } from '../../model/address.js';
import type { HealthcheckSpec } from '../../model/desired.js';
import type { ProbeCode, ProbeResult } from '../../model/health.js';
import type { CancelSignal } from '../cancel.js';

/** ProbeRequest is one probe attempt: the target, its healthcheck, and the signal that ends it. */
export interface ProbeRequest {
  readonly address: IpAddress;
  readonly spec: HealthcheckSpec;
  /**
   * Aborted when the attempt must end (its timeout, or the backend was paused, disabled, moved or removed).
   * A probe settles promptly after abort with the timeout code of the phase it was in.
   */
  readonly signal: CancelSignal;
}

/** Probe runs one attempt. It never throws and never rejects: every outcome is a ProbeResult. */
export type Probe = (req: ProbeRequest) => Promise<ProbeResult>;

/** ProbeSet maps healthcheck types to probes; the checker takes one so tests can substitute fakes. */
export interface ProbeSet {
  readonly tcp: Probe;
  readonly http: Probe;
  readonly https: Probe;
  readonly icmp: Probe;
}

/** makeResult builds a result stamped with the wall clock; `latencyMs` from a monotonic start. */
export function makeResult(ok: boolean, code: ProbeCode, startedNs: bigint, detail: string): ProbeResult {
  const latencyMs = Number(process.hrtime.bigint() - startedNs) / 1e6;
  return { ok, code, latencyMs: Math.round(latencyMs * 1000) / 1000, detail, at: Date.now() };
}

/** timeoutCodeFor is the code a probe of this type reports when it runs out of time without a finer phase. */
export function timeoutCodeFor(type: HealthcheckSpec['type']): ProbeCode {
  return type === 'http' || type === 'https' ? 'L7TOUT' : 'L4TOUT';
}

/** errorText turns a thrown value into one line for `detail` (errno code first when there is one). */
export function errorText(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as NodeJS.ErrnoException).code;
    return code && !e.message.includes(code) ? `${code}: ${e.message}` : e.message;
  }
  return String(e);
}

/** sourceFor picks the spec's source address for the target's family, as text, or undefined. */
export function sourceFor(spec: HealthcheckSpec, address: IpAddress): string | undefined {
  return (address.family === 4 ? spec.sourceV4 : spec.sourceV6)?.text;
}

/**
 * connectErrorCode classifies a socket error: a source address that is not on this host is a configuration
 * problem (L4CFG), not a verdict on the backend; anything else takes the phase's code.
 */
export function connectErrorCode(e: unknown, phaseCode: ProbeCode): ProbeCode {
  return (e as NodeJS.ErrnoException | undefined)?.code === 'EADDRNOTAVAIL' ? 'L4CFG' : phaseCode;
}
