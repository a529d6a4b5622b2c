// The tcp probe: a connect within the timeout, then an immediate reset so no TIME_WAIT piles up here.
import { connect, type Socket } from 'node:net';
import type { ProbeResult } from '../../model/health.js';
import { connectErrorCode, errorText, makeResult, type ProbeRequest, sourceFor } from './probe.js';

/** tcpProbe connects to the healthcheck port: L4OK on connect, L4CON on refusal/unreachable, L4TOUT on abort. */
export function tcpProbe(req: ProbeRequest): Promise<ProbeResult> {
  const started = process.hrtime.bigint();
  const { address, spec, signal } = req;
  const port = spec.port;
  if (port === undefined) {
    return Promise.resolve(makeResult(false, 'L4CFG', started, 'tcp healthcheck has no port'));
  }
  if (signal.aborted) return Promise.resolve(makeResult(false, 'L4TOUT', started, 'aborted before start'));
  return new Promise<ProbeResult>((resolve) => {
    let sock: Socket | undefined;
    let done = false;
    const finish = (r: ProbeResult): void => {
      if (done) return;
      done = true;
      signal.removeEventListener('abort', onAbort);
      // An RST instead of a FIN: the checker never leaves TIME_WAIT sockets behind (HAProxy does the same).
      if (sock && !sock.destroyed) {
        if (sock.connecting || sock.pending) sock.destroy();
        else sock.resetAndDestroy();
      }
      resolve(r);
    };
    const onAbort = (): void => {
      finish(makeResult(false, 'L4TOUT', started, `no connection within ${spec.timeoutMs} ms`));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const localAddress = sourceFor(spec, address);
      sock = connect({ host: address.text, port, family: address.family, localAddress });
    } catch (e) {
      finish(makeResult(false, 'L4CFG', started, errorText(e)));
      return;
    }
    sock.once('connect', () => finish(makeResult(true, 'L4OK', started, `connected to port ${port}`)));
    // 'on', not 'once': a reset after finish may still report an error, which must not go unhandled.
    sock.on('error', (e) => finish(makeResult(false, connectErrorCode(e, 'L4CON'), started, errorText(e))));
  });
}
