// The http and https probes: one GET on a fresh connection, the status checked, the body drained to a cap.
import type { ClientRequest, IncomingMessage, RequestOptions } from 'node:http';
import { request as httpRequest } from 'node:http';
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import type { StatusRange } from '../../model/desired.js';
import type { ProbeCode, ProbeResult } from '../../model/health.js';
import { VERSION } from '../../util/version.js';
import { errorText, makeResult, type Probe, type ProbeRequest, sourceFor } from './probe.js';

/** USER_AGENT is sent with every http(s) probe so backend operators can tell checks from users. */
export const USER_AGENT = `maglevd/${VERSION}`;

/** BODY_CAP_BYTES: a body is read (and discarded) up to this much; a larger one counts as complete there. */
export const BODY_CAP_BYTES = 64 * 1024;

/** HttpProbeOptions are process-level knobs, not per-healthcheck config. */
export interface HttpProbeOptions {
  /** https: trusted CAs instead of the system store (tests pass the certificate they generated). */
  readonly ca?: string | Buffer;
}

type Phase = 'connect' | 'tls' | 'response';

const TIMEOUT_CODE: Record<Phase, ProbeCode> = { connect: 'L4TOUT', tls: 'L6TOUT', response: 'L7TOUT' };
const ERROR_CODE: Record<Phase, ProbeCode> = { connect: 'L4CON', tls: 'L6RSP', response: 'L7RSP' };
const PHASE_TEXT: Record<Phase, string> = {
  connect: 'no connection',
  tls: 'no TLS handshake',
  response: 'no complete response',
};

/** statusAccepted says whether `status` falls in one of the inclusive ranges. */
export function statusAccepted(status: number, ranges: readonly StatusRange[]): boolean {
  for (const [lo, hi] of ranges) if (status >= lo && status <= hi) return true;
  return false;
}

function rangesText(ranges: readonly StatusRange[]): string {
  return ranges.map(([lo, hi]) => (lo === hi ? `${lo}` : `${lo}-${hi}`)).join(',');
}

/** hostHeader is the configured host, else the backend address (IPv6 in brackets) with a non-default port. */
export function hostHeader(req: ProbeRequest, tls: boolean): string {
  const { spec, address } = req;
  if (spec.host !== undefined) return spec.host;
  const host = address.family === 6 ? `[${address.text}]` : address.text;
  const port = spec.port ?? (tls ? 443 : 80);
  return port === (tls ? 443 : 80) ? host : `${host}:${port}`;
}

/** sniName is the TLS server name: the configured host without a port; never an IP literal (RFC 6066 §3). */
function sniName(host: string | undefined): string | undefined {
  if (host === undefined) return undefined;
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d+$/, '');
  return isIP(name) ? undefined : name;
}

/** createHttpProbe makes the http (tls=false) or https (tls=true) probe. */
export function createHttpProbe(tls: boolean, opts: HttpProbeOptions = {}): Probe {
  return (req) => runHttp(req, tls, opts);
}

/** httpProbe is the plain-HTTP probe with default options. */
export const httpProbe: Probe = createHttpProbe(false);
/** httpsProbe is the HTTPS probe verifying against the system CA store. */
export const httpsProbe: Probe = createHttpProbe(true);

function runHttp(req: ProbeRequest, tls: boolean, opts: HttpProbeOptions): Promise<ProbeResult> {
  const started = process.hrtime.bigint();
  const { spec, address, signal } = req;
  const port = spec.port;
  if (port === undefined) {
    return Promise.resolve(makeResult(false, 'L4CFG', started, `${spec.type} healthcheck has no port`));
  }
  if (signal.aborted) return Promise.resolve(makeResult(false, 'L4TOUT', started, 'aborted before start'));
  return new Promise<ProbeResult>((resolve) => {
    let phase: Phase = 'connect';
    let done = false;
    let creq: ClientRequest | undefined;
    let sock: Socket | undefined;
    const finish = (r: ProbeResult, reset = false): void => {
      if (done) return;
      done = true;
      signal.removeEventListener('abort', onAbort);
      // No reuse: the connection ends with the probe. After a complete response the server has closed (or
      // is closing) first, so a plain close leaves no TIME_WAIT here. When we give up mid-exchange we close
      // first: a reset then avoids TIME_WAIT (plain TCP only; node cannot reset a TLS socket). Resetting a
      // socket the peer already ended fails with EINVAL, and that error's stack trace is costly at scale.
      if (reset && sock && !sock.destroyed && !tls && !sock.connecting && !sock.readableEnded) {
        sock.resetAndDestroy();
      }
      creq?.destroy();
      resolve(r);
    };
    const onAbort = (): void => {
      const detail = `${PHASE_TEXT[phase]} within ${spec.timeoutMs} ms`;
      finish(makeResult(false, TIMEOUT_CODE[phase], started, detail), true);
    };
    signal.addEventListener('abort', onAbort, { once: true });

    const host = hostHeader(req, tls);
    const localAddress = sourceFor(spec, address);
    // The connection is made here, not by an Agent: no pooling by construction, no Agent per request
    // (what `agent: false` costs), and the connect/TLS phases are observed directly for the result code.
    const connectOnce = (): Socket => {
      let s: Socket;
      if (tls) {
        const sni = sniName(spec.host);
        // tls.connect forwards family and localAddress to the TCP connect (lib/_tls_wrap.js); untyped there.
        const tlsOpts: ConnectionOptions & { family?: number; localAddress?: string } = {
          host: address.text,
          port,
          family: address.family,
          localAddress,
          rejectUnauthorized: !spec.insecure,
          ALPNProtocols: ['http/1.1'],
        };
        if (sni !== undefined) tlsOpts.servername = sni;
        if (opts.ca !== undefined) tlsOpts.ca = opts.ca;
        s = tlsConnect(tlsOpts);
        s.once('secureConnect', () => (phase = 'response'));
      } else {
        s = netConnect({ host: address.text, port, family: address.family, localAddress, noDelay: true });
      }
      s.once('connect', () => {
        if (phase === 'connect') phase = tls ? 'tls' : 'response';
      });
      s.on('error', (e) => finish(makeResult(false, ERROR_CODE[phase], started, errorText(e))));
      sock = s;
      return s;
    };
    const options: RequestOptions = {
      method: 'GET',
      path: spec.path,
      setHost: false,
      createConnection: connectOnce,
      headers: { ...spec.headers, Host: host, 'User-Agent': USER_AGENT, Accept: '*/*', Connection: 'close' },
    };
    try {
      creq = httpRequest(options);
    } catch (e) {
      finish(makeResult(false, 'L4CFG', started, errorText(e)));
      return;
    }
    creq.on('error', (e) => finish(makeResult(false, ERROR_CODE[phase], started, errorText(e))));
    creq.on('response', (res: IncomingMessage) => onResponse(res));
    creq.end();

    function onResponse(res: IncomingMessage): void {
      phase = 'response';
      const status = res.statusCode ?? 0;
      if (!statusAccepted(status, spec.expectStatus)) {
        finish(
          makeResult(false, 'L7STS', started, `HTTP ${status}, expected ${rangesText(spec.expectStatus)}`),
        );
        return;
      }
      let bytes = 0;
      const okResult = (): ProbeResult => makeResult(true, 'L7OK', started, `HTTP ${status}`);
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes >= BODY_CAP_BYTES) finish(okResult());
      });
      res.on('end', () => finish(okResult()));
      res.on('error', (e) => finish(makeResult(false, 'L7RSP', started, `body: ${errorText(e)}`)));
      res.on('aborted', () => finish(makeResult(false, 'L7RSP', started, 'connection closed mid-body')));
    }
  });
}
