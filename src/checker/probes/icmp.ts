// The icmp probe: one echo request over the shared unprivileged ping socket for the target's family.
import type { ProbeResult } from '../../model/health.js';
import { IcmpSocketPool } from '../icmp-socket.js';
import { makeResult, type Probe } from './probe.js';

/** createIcmpProbe makes an icmp probe over `pool`: L4OK on reply, L4TOUT on none, L4CFG if not allowed. */
export function createIcmpProbe(pool: IcmpSocketPool): Probe {
  return async ({ address, spec, signal }): Promise<ProbeResult> => {
    const started = process.hrtime.bigint();
    const source = address.family === 4 ? spec.sourceV4 : spec.sourceV6;
    const sock = pool.get(address.family, source);
    if ('error' in sock) return makeResult(false, 'L4CFG', started, sock.error);
    const o = await sock.ping(address, signal);
    switch (o.kind) {
      case 'reply':
        return makeResult(true, 'L4OK', started, `echo reply in ${o.rttMs.toFixed(3)} ms`);
      case 'timeout':
        return makeResult(false, 'L4TOUT', started, `no echo reply within ${spec.timeoutMs} ms`);
      case 'error':
        return makeResult(false, 'L4CON', started, o.detail);
    }
  };
}

/** defaultIcmpPool is the process-wide pool the default icmp probe uses. */
export const defaultIcmpPool = new IcmpSocketPool();

/** icmpProbe is the icmp probe over the process-wide pool. */
export const icmpProbe: Probe = createIcmpProbe(defaultIcmpPool);
