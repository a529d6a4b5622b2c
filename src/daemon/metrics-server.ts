// The Prometheus endpoint: GET /metrics over HTTP on a loopback host:port, with every wait bounded.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import type { Registry } from 'prom-client';
import { MaglevError } from '../util/errors.js';

/** The default of `--metrics`: loopback only; the metrics name backends and frontends of the router. */
export const DEFAULT_METRICS_LISTEN = '127.0.0.1:9091';
/** A request (headers and body) must arrive within this; a scrape that cannot is a broken client. */
const REQUEST_TIMEOUT_MS = 5_000;
/** Idle keep-alive connections are closed after this (Prometheus reconnects each scrape interval anyway). */
const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** Rendering the registry must finish within this, or the scrape gets a 503 (never a hung connection). */
const RENDER_TIMEOUT_MS = 5_000;
/** Scrapers are few; Node closes connections beyond this as soon as it accepts them. */
const MAX_CONNECTIONS = 32;

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * parseMetricsListen reads `--metrics`: `host:port`, `[v6]:port`, or the empty string (undefined: disabled).
 * The host must be an IP address: a name would resolve at start and could bind somewhere unexpected.
 */
export function parseMetricsListen(text: string): ListenAddress | undefined {
  if (text === '') return undefined;
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):([0-9]{1,5})$/.exec(text);
  const host = m?.[1] ?? m?.[2];
  const port = Number(m?.[3]);
  if (m === null || host === undefined) {
    throw new MaglevError(
      'ERR_CONFIG',
      `--metrics "${text}": expected host:port, [ipv6]:port, or "" to disable`,
    );
  }
  if (isIP(host) === 0)
    throw new MaglevError('ERR_CONFIG', `--metrics "${text}": host must be an IP address`);
  if (m[1] !== undefined && isIP(host) !== 6) {
    throw new MaglevError('ERR_CONFIG', `--metrics "${text}": only IPv6 addresses go in brackets`);
  }
  if (port < 1 || port > 65535)
    throw new MaglevError('ERR_CONFIG', `--metrics "${text}": port must be 1..65535`);
  return { host, port };
}

export interface MetricsServerOptions {
  /** Deadline for a whole request and for an idle connection, ms; default 5 s. Tests shorten it. */
  requestTimeoutMs?: number;
  /** Called for a server error after it started listening (rare: e.g. EMFILE); the server keeps going. */
  onError?: (error: Error) => void;
}

export interface MetricsServer {
  /** The bound address (the real port when 0 was asked). */
  readonly address: ListenAddress;
  /** Stops listening and closes open connections; resolves when done. */
  close(): Promise<void>;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new MaglevError('ERR_UNAVAILABLE', `metrics not rendered within ${ms} ms`)),
      ms,
    );
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

async function handle(registry: Registry, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (path !== '/metrics') {
    res
      .writeHead(404, { 'content-type': 'text/plain; charset=utf-8' })
      .end('not found: metrics are at /metrics\n');
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('GET only\n');
    return;
  }
  try {
    const body = await withTimeout(registry.metrics(), RENDER_TIMEOUT_MS);
    res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
  } catch (e) {
    res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(`metrics unavailable: ${e instanceof Error ? e.message : String(e)}\n`);
  }
}

/**
 * startMetricsServer listens on `listen` and serves the registry. It rejects with a MaglevError naming the
 * address when it cannot bind (e.g. the port is taken); the daemon logs that and runs on without metrics.
 */
export function startMetricsServer(
  registry: Registry,
  listen: ListenAddress,
  opts: MetricsServerOptions = {},
): Promise<MetricsServer> {
  const timeoutMs = opts.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  // Node enforces requestTimeout/headersTimeout on this period; it must be finer than the timeouts themselves.
  const server: Server = createServer(
    { connectionsCheckingInterval: Math.max(50, timeoutMs / 4) },
    (req, res) => {
      // The request body is never read: drain it so the connection is not held open by a slow sender.
      req.resume();
      void handle(registry, req, res);
    },
  );
  server.requestTimeout = timeoutMs;
  server.headersTimeout = timeoutMs;
  server.keepAliveTimeout = Math.min(KEEP_ALIVE_TIMEOUT_MS, timeoutMs);
  server.maxConnections = MAX_CONNECTIONS;
  server.maxHeadersCount = 50;
  // An idle socket (connected, silent) is closed too: requestTimeout only starts with the first byte.
  server.setTimeout(timeoutMs, (socket) => socket.destroy());

  return new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException): void => {
      const where = `${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${listen.port}`;
      reject(
        new MaglevError('ERR_UNAVAILABLE', `metrics: cannot listen on ${where}: ${e.code ?? e.message}`, {
          cause: e,
        }),
      );
    };
    server.once('error', onError);
    server.listen({ host: listen.host, port: listen.port, exclusive: true }, () => {
      server.off('error', onError);
      server.on('error', (e) => opts.onError?.(e));
      const a = server.address();
      const port = typeof a === 'object' && a !== null ? a.port : listen.port;
      resolve({
        address: { host: listen.host, port },
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
