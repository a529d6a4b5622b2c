// The http and https probes: one GET on a fresh connection, the status checked, the body drained to a cap.
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import type { StatusRange } from '../../model/desired.js';
import type { ProbeCode, ProbeResult } from '../../model/health.js';
import { VERSION } from '../../util/version.js';
import { type ReadOutcome, ResponseReader } from './http-response.js';
import {
  connectErrorCode,
  errorText,
  makeResult,
  type Probe,
  type ProbeRequest,
  sourceFor,
} from './probe.js';

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

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const REQUEST_TARGET = /^[\x21-\x7e]+$/;

/** requestHead builds the GET request head, or explains why the healthcheck cannot form one. */
export function requestHead(
  path: string,
  host: string,
  headers: Readonly<Record<string, string>>,
): string | { error: string } {
  if (!REQUEST_TARGET.test(path))
    return { error: `path ${JSON.stringify(path)} is not a valid request target` };
  if (!FIELD_VALUE.test(host)) return { error: 'host contains control characters' };
  let head = `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: ${USER_AGENT}\r\nAccept: */*\r\nConnection: close\r\n`;
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (lower === 'host' || lower === 'user-agent' || lower === 'connection') continue; // ours win
    if (!TOKEN.test(name)) return { error: `header name ${JSON.stringify(name)} is not a token` };
    if (!FIELD_VALUE.test(value)) return { error: `header ${name} has a value with control characters` };
    head += `${name}: ${value}\r\n`;
  }
  return `${head}\r\n`;
}

function runHttp(req: ProbeRequest, tls: boolean, opts: HttpProbeOptions): Promise<ProbeResult> {
  const started = process.hrtime.bigint();
  const { spec, address, signal } = req;
  const port = spec.port;
  if (port === undefined) {
    return Promise.resolve(makeResult(false, 'L4CFG', started, `${spec.type} healthcheck has no port`));
  }
  const head = requestHead(spec.path, hostHeader(req, tls), spec.headers);
  if (typeof head !== 'string') return Promise.resolve(makeResult(false, 'L4CFG', started, head.error));
  if (signal.aborted) return Promise.resolve(makeResult(false, 'L4TOUT', started, 'aborted before start'));
  return new Promise<ProbeResult>((resolve) => {
    let phase: Phase = 'connect';
    let done = false;
    let sock: Socket | undefined;
    const reader = new ResponseReader(BODY_CAP_BYTES);
    const finish = (r: ProbeResult, reset = false): void => {
      if (done) return;
      done = true;
      signal.removeEventListener('abort', onAbort);
      // No reuse: the connection ends with the probe. After a complete response the server has closed (or
      // is closing) first, so a plain close leaves no TIME_WAIT here. When we give up mid-exchange we close
      // first: a reset then avoids TIME_WAIT (plain TCP only; node cannot reset a TLS socket). Resetting a
      // socket the peer already ended fails with EINVAL, and that error's stack trace is costly at scale.
      if (sock && !sock.destroyed) {
        if (reset && !tls && !sock.connecting && !sock.readableEnded) sock.resetAndDestroy();
        else sock.destroy();
      }
      resolve(r);
    };
    const onAbort = (): void => {
      const detail = `${PHASE_TEXT[phase]} within ${spec.timeoutMs} ms`;
      finish(makeResult(false, TIMEOUT_CODE[phase], started, detail), true);
    };
    signal.addEventListener('abort', onAbort, { once: true });

    const localAddress = sourceFor(spec, address);
    const judge = (o: ReadOutcome): void => {
      switch (o.kind) {
        case 'more':
          return;
        case 'bad':
          finish(makeResult(false, 'L7RSP', started, o.detail), true);
          return;
        case 'status':
        case 'complete':
          if (!statusAccepted(o.status, spec.expectStatus)) {
            const detail = `HTTP ${o.status}, expected ${rangesText(spec.expectStatus)}`;
            finish(makeResult(false, 'L7STS', started, detail), true);
          } else if (o.kind === 'complete') {
            finish(makeResult(true, 'L7OK', started, `HTTP ${o.status}`));
          }
          return;
      }
    };
    // The connection is ours, not an Agent's: no pooling by construction, and the connect and TLS phases
    // are observed directly for the result code. The head is written at once; the socket holds it until
    // connected (and, for TLS, until the handshake is done).
    try {
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
        sock = tlsConnect(tlsOpts);
        sock.once('secureConnect', () => (phase = 'response'));
      } else {
        // No TCP_NODELAY: the head goes out in one write, so Nagle never delays it, and it saves a syscall.
        sock = netConnect({ host: address.text, port, family: address.family, localAddress });
      }
    } catch (e) {
      finish(makeResult(false, 'L4CFG', started, errorText(e)));
      return;
    }
    const s = sock;
    s.once('connect', () => {
      if (phase === 'connect') phase = tls ? 'tls' : 'response';
    });
    s.on('error', (e) =>
      finish(makeResult(false, connectErrorCode(e, ERROR_CODE[phase]), started, errorText(e))),
    );
    s.on('data', (chunk: Buffer) => {
      if (!done) judge(reader.push(chunk));
    });
    s.on('end', () => {
      if (!done) judge(reader.end());
    });
    s.write(head, 'latin1');
  });
}
