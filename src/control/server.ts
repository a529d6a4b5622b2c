// The control server: HTTP/1.1 + JSON on the unix control socket, routing /v1/ to a ControlTarget.
import { chmod, unlink } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { z } from 'zod';
import type { Logger } from '../log/logger.js';
import { type ErrorCode, isMaglevError, MaglevError } from '../util/errors.js';
import type { ControlTarget, EventSubscription } from './daemon-port.js';
import { SseSubscriber, StreamBudget } from './event-stream.js';
import {
  API_PREFIX,
  type ApiErrorBody,
  type ApiErrorCode,
  BackendAdminBodySchema,
  type BackendEvent,
  ConfigCheckBodySchema,
  ConfigReloadBodySchema,
  type ConfigReloadResult,
  type ControlEvent,
  EventsQuerySchema,
  type FrontendEvent,
  LogLevelBodySchema,
  MAX_BODY_BYTES,
  MAX_CONFIG_BODY_BYTES,
  NAME_PATTERN,
  SetWeightBodySchema,
  SyncBodySchema,
} from './protocol.js';
import { prepareSocketPath, SOCKET_FILE_MODE } from './socket-path.js';

/** A target call (a view or an action) that takes longer than this answers 503. */
export const CALL_TIMEOUT_MS = 5000;

/**
 * Connections served at once (event streams included): a bound on per-client memory. A request on a
 * connection accepted beyond it is answered 503 and the connection closed.
 */
export const MAX_CONNECTIONS = 256;

/**
 * Connections beyond MAX_CONNECTIONS still accepted only to answer that 503; past this the kernel's
 * accept is followed by an immediate close (Node's maxConnections), the last bound.
 */
export const MAX_REFUSED_CONNECTIONS = 256;

/** Event streams at once: well below MAX_CONNECTIONS, so watchers never lock out ordinary requests. */
export const MAX_EVENT_STREAMS = 64;

/** Request headers must arrive within this; a socket that sends none is answered 408 and closed. */
export const HEADERS_TIMEOUT_MS = 5000;

/** The whole request must arrive within this. */
export const REQUEST_TIMEOUT_MS = 10_000;

/** How often Node checks header and request timeouts: idle sockets go within about this of the limit. */
export const CONNECTIONS_CHECK_MS = 1000;

/** Shutdown waits this long for requests in flight before cutting connections. */
export const CLOSE_GRACE_MS = 1000;

export interface ControlServerOptions {
  readonly socketPath: string;
  readonly target: ControlTarget;
  readonly logger?: Logger;
  readonly callTimeoutMs?: number;
  /** Liveness probe timeout for an existing socket file (see prepareSocketPath). */
  readonly probeTimeoutMs?: number;
  /** Events a subscriber may fall behind before `overflow` (tests lower it; spec: 1000). */
  readonly maxEventsBehind?: number;
  /** Bytes a subscriber may fall behind before `overflow` (tests lower it; default MAX_BYTES_BEHIND). */
  readonly maxBytesBehind?: number;
  /** Bytes all subscribers may have queued together (default MAX_STREAM_BYTES_TOTAL). */
  readonly maxStreamBytes?: number;
  /** Event streams at once (tests lower it; default MAX_EVENT_STREAMS). */
  readonly maxEventStreams?: number;
  /** Request headers must arrive within this (tests lower it; default HEADERS_TIMEOUT_MS). */
  readonly headersTimeoutMs?: number;
  /** Connections served at once (tests lower it; default MAX_CONNECTIONS). */
  readonly maxConnections?: number;
  /** Wall clock for the replay events' time (tests pin it); Date.now by default. */
  readonly now?: () => number;
}

/** ApiError is an error with its HTTP status, raised while handling one request. */
class ApiError extends Error {
  readonly status: number;
  readonly code: ApiErrorCode;
  readonly details: unknown;
  readonly headers: Record<string, string>;
  constructor(status: number, code: ApiErrorCode, message: string, details?: unknown, headers = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
    this.headers = headers;
  }
}

const STATUS_OF: Partial<Record<ErrorCode, number>> = {
  ERR_NOT_FOUND: 404,
  ERR_BAD_REQUEST: 400,
  ERR_ADDRESS: 400,
  ERR_STATE: 409,
  ERR_CONFIG: 422,
  ERR_UNAVAILABLE: 503,
  ERR_VPP_DISCONNECTED: 503,
  ERR_VPP_TIMEOUT: 503,
  ERR_VPP_INCOMPATIBLE: 503,
  ERR_VPP_HANDSHAKE: 503,
  // VPP answered with bytes its own message definition cannot decode: the upstream is at fault.
  ERR_DECODE: 502,
};

/** statusOf maps a target's error code to an HTTP status (docs/api.md, "Errors"). */
export function statusOf(code: ErrorCode): number {
  return STATUS_OF[code] ?? 500;
}

interface Ctx {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly params: readonly string[];
  readonly query: URLSearchParams;
}

interface Route {
  readonly method: 'GET' | 'POST' | 'PUT';
  /** Path segments after /v1; `:x` matches one segment (a name). */
  readonly segments: readonly string[];
  /** Query parameters the route accepts; any other is a 400. */
  readonly query?: readonly string[];
  readonly maxBody?: number;
  readonly handle: (ctx: Ctx) => Promise<unknown> | unknown;
  /** Streaming routes write their own response. */
  readonly stream?: boolean;
}

function routeMatch(route: Route, segs: readonly string[]): string[] | undefined {
  if (route.segments.length !== segs.length) return undefined;
  const params: string[] = [];
  for (let i = 0; i < segs.length; i++) {
    const want = route.segments[i] as string;
    const got = segs[i] as string;
    if (want.startsWith(':')) params.push(got);
    else if (want !== got) return undefined;
  }
  return params;
}

function checkName(kind: string, v: string | undefined): string {
  if (v === undefined || !NAME_PATTERN.test(v) || v.length > 128) {
    throw new ApiError(400, 'ERR_BAD_REQUEST', `${JSON.stringify(v ?? '')} is not a valid ${kind} name`);
  }
  return v;
}

function zodMessage(err: z.ZodError): string {
  return err.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : 'body'}: ${i.message}`)
    .join('; ');
}

function parseWith<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new ApiError(400, 'ERR_BAD_REQUEST', `invalid ${what}: ${zodMessage(r.error)}`);
  return r.data;
}

/** readBody reads at most `max` bytes; a larger body is a 413 before it is buffered. */
function readBody(req: IncomingMessage, max: number): Promise<string> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > max) {
    return Promise.reject(
      new ApiError(
        413,
        'ERR_BODY_TOO_LARGE',
        `request body of ${declared} bytes exceeds the limit of ${max}`,
      ),
    );
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > max) {
        failed = true;
        chunks.length = 0;
        reject(new ApiError(413, 'ERR_BODY_TOO_LARGE', `request body exceeds the limit of ${max} bytes`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', (e) => {
      if (!failed)
        reject(new ApiError(400, 'ERR_BAD_REQUEST', `request body could not be read: ${e.message}`));
    });
  });
}

async function jsonBody(ctx: Ctx, max: number): Promise<unknown> {
  const text = await readBody(ctx.req, max);
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ApiError(400, 'ERR_BAD_REQUEST', `malformed JSON body: ${(e as Error).message}`);
  }
}

function withTimeout<T>(p: Promise<T> | T, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(
      () => reject(new MaglevError('ERR_UNAVAILABLE', `the daemon did not complete ${what} within ${ms} ms`)),
      ms,
    );
    Promise.resolve(p).then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}

/** errorBody is the one shape of every error response (docs/api.md, "Errors"). */
function errorBody(code: ApiErrorCode, message: string): ApiErrorBody {
  return { error: { code, message } };
}

/**
 * A request Node's parser refused never reaches a handler; these are the statuses Node itself would
 * answer (431 for oversized headers, 408 for a header or request timeout, 400 for the rest).
 */
function clientErrorResponse(err: NodeJS.ErrnoException): {
  status: number;
  reason: string;
  body: ApiErrorBody;
} {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return {
        status: 431,
        reason: 'Request Header Fields Too Large',
        body: errorBody('ERR_BAD_REQUEST', 'request line or headers too large'),
      };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return {
        status: 408,
        reason: 'Request Timeout',
        body: errorBody('ERR_BAD_REQUEST', 'the request did not arrive in time'),
      };
    default:
      return {
        status: 400,
        reason: 'Bad Request',
        body: errorBody('ERR_BAD_REQUEST', `malformed HTTP request: ${err.message}`),
      };
  }
}

/** rawJsonResponse is a whole HTTP/1.1 response for a socket no ServerResponse owns; it closes. */
function rawJsonResponse(status: number, reason: string, body: ApiErrorBody): string {
  const text = `${JSON.stringify(body)}\n`;
  return (
    `HTTP/1.1 ${status} ${reason}\r\n` +
    'content-type: application/json; charset=utf-8\r\n' +
    `content-length: ${Buffer.byteLength(text)}\r\n` +
    'cache-control: no-store\r\n' +
    'connection: close\r\n\r\n' +
    text
  );
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

/**
 * ControlServer serves the control API on a unix socket. Bad input is refused before the target is
 * called, so a 4xx never changes anything; target errors map to statuses by code (statusOf).
 */
export class ControlServer {
  readonly #server: Server;
  readonly #opts: ControlServerOptions;
  readonly #routes: Route[];
  readonly #subscribers = new Set<SseSubscriber>();
  readonly #streamBudget: StreamBudget;
  /** Connections open now, and those accepted beyond the limit (their requests are answered 503). */
  #open = 0;
  readonly #overLimit = new WeakSet<Socket>();
  /** Responses not yet finished per socket: a parser error must not write into one already started. */
  readonly #pending = new WeakMap<Socket, Set<ServerResponse>>();
  #closing: Promise<void> | undefined;

  private constructor(opts: ControlServerOptions) {
    this.#opts = opts;
    this.#routes = this.#buildRoutes();
    this.#streamBudget = new StreamBudget(opts.maxStreamBytes);
    const maxConnections = opts.maxConnections ?? MAX_CONNECTIONS;
    this.#server = createServer(
      {
        requestTimeout: REQUEST_TIMEOUT_MS,
        headersTimeout: opts.headersTimeoutMs ?? HEADERS_TIMEOUT_MS,
        // Node enforces the two timeouts only on this sweep (30 s by default): idle sockets that never
        // send a header would hold their slots far past the documented 5 s.
        connectionsCheckingInterval: CONNECTIONS_CHECK_MS,
      },
      (req, res) => this.#onRequest(req, res),
    );
    this.#server.on('connection', (socket: Socket) => {
      this.#open++;
      if (this.#open > maxConnections) this.#overLimit.add(socket);
      socket.once('close', () => this.#open--);
    });
    this.#server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) =>
      this.#onClientError(err, socket),
    );
    // Beyond the refusal headroom, Node closes new connections at once: the hard bound.
    this.#server.maxConnections = maxConnections + MAX_REFUSED_CONNECTIONS;
    // The server's own keep-alive and header limits bound idle clients; event streams send keepalives.
    this.#server.keepAliveTimeout = 5000;
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    const socket = req.socket;
    let pending = this.#pending.get(socket);
    if (!pending) {
      pending = new Set();
      this.#pending.set(socket, pending);
    }
    pending.add(res);
    const finished = () => {
      pending.delete(res);
      if (pending.size === 0) this.#pending.delete(socket);
    };
    res.once('finish', finished);
    res.once('close', finished);
    if (this.#overLimit.has(socket)) {
      sendJson(
        res,
        503,
        errorBody(
          'ERR_UNAVAILABLE',
          `the control socket has ${this.#opts.maxConnections ?? MAX_CONNECTIONS} connections open; try again`,
        ),
        { connection: 'close', 'retry-after': '1' },
      );
      return;
    }
    this.#handle(req, res).catch((e: unknown) => {
      this.#opts.logger?.error({ event: 'control-error', err: e }, 'control request failed unexpectedly');
      if (!res.headersSent) sendJson(res, 500, errorBody('ERR_INTERNAL', 'internal error'));
      else res.destroy();
    });
  }

  /**
   * #onClientError answers what Node's parser refused (bad method, oversized headers, a bad
   * Content-Length, bytes after `Connection: close`, a timeout) with the usual JSON error, then
   * closes: the rest of the stream cannot be trusted. A request in flight on the socket whose answer
   * has not started is answered by this error instead; a socket already gone, or one where an answer
   * has started (an event stream), is only destroyed.
   */
  #onClientError(err: NodeJS.ErrnoException, socket: Socket): void {
    const started = [...(this.#pending.get(socket) ?? [])].some((r) => r.headersSent);
    if (err.code === 'ECONNRESET' || socket.destroyed || !socket.writable || started) {
      socket.destroy();
      return;
    }
    const { status, reason, body } = clientErrorResponse(err);
    socket.end(rawJsonResponse(status, reason, body));
    // A peer that never reads the answer does not keep the socket.
    const cut = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
    cut.unref();
    socket.once('close', () => clearTimeout(cut));
  }

  /**
   * start prepares the socket path (stale socket removed, a live daemon refused: ERR_SOCKET_IN_USE),
   * listens, and sets the socket file's mode to 0660.
   */
  static async start(opts: ControlServerOptions): Promise<ControlServer> {
    await prepareSocketPath(opts.socketPath, opts.probeTimeoutMs);
    const s = new ControlServer(opts);
    await new Promise<void>((resolve, reject) => {
      s.#server.once('error', reject);
      s.#server.listen(opts.socketPath, () => {
        s.#server.off('error', reject);
        resolve();
      });
    });
    await chmod(opts.socketPath, SOCKET_FILE_MODE);
    s.#server.on('error', (e) =>
      opts.logger?.error({ event: 'control-error', err: e }, 'control socket error'),
    );
    return s;
  }

  get socketPath(): string {
    return this.#opts.socketPath;
  }

  /** Every route as `METHOD /v1/path/{param}` (for documentation checks). */
  get routes(): string[] {
    return this.#routes.map(
      (r) =>
        `${r.method} ${API_PREFIX}/${r.segments.map((x) => (x.startsWith(':') ? `{${x.slice(1)}}` : x)).join('/')}`,
    );
  }

  /** Event streams open now. */
  get subscriberCount(): number {
    return this.#subscribers.size;
  }

  /**
   * close stops accepting, ends every event stream, lets requests in flight finish for `graceMs`, then
   * cuts what is left and removes the socket file. Idempotent.
   */
  close(graceMs = CLOSE_GRACE_MS): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#closing = (async () => {
      const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
      for (const s of [...this.#subscribers]) s.end();
      this.#server.closeIdleConnections();
      const cut = setTimeout(() => this.#server.closeAllConnections(), graceMs);
      cut.unref();
      await closed;
      clearTimeout(cut);
      await unlink(this.#opts.socketPath).catch(() => undefined);
    })();
    return this.#closing;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      await this.#dispatch(req, res);
    } catch (e) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const { status, body, headers } = this.#errorResponse(e, req);
      // After a refused body, the rest of it is not read: the connection closes.
      if (status === 413) headers.connection = 'close';
      sendJson(res, status, body, headers);
    }
  }

  #errorResponse(
    e: unknown,
    req: IncomingMessage,
  ): { status: number; body: ApiErrorBody; headers: Record<string, string> } {
    if (e instanceof ApiError) {
      const body: ApiErrorBody = { error: { code: e.code, message: e.message } };
      if (e.details !== undefined) body.error.details = e.details;
      return { status: e.status, body, headers: { ...e.headers } };
    }
    if (isMaglevError(e)) {
      const status = statusOf(e.code);
      if (status >= 500) {
        this.#opts.logger?.warn(
          { event: 'control-error', method: req.method, path: req.url, code: e.code, err: e.message },
          `control request failed: ${e.message}`,
        );
      }
      return { status, body: { error: { code: e.code, message: e.message } }, headers: {} };
    }
    this.#opts.logger?.error({ event: 'control-error', err: e }, 'control request failed unexpectedly');
    return { status: 500, body: { error: { code: 'ERR_INTERNAL', message: 'internal error' } }, headers: {} };
  }

  async #dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const pathPart = q < 0 ? raw : raw.slice(0, q);
    const query = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
    if (pathPart !== API_PREFIX && !pathPart.startsWith(`${API_PREFIX}/`)) {
      throw new ApiError(404, 'ERR_NOT_FOUND', `no route ${pathPart}: routes live under ${API_PREFIX}/`);
    }
    let segs: string[];
    try {
      segs = pathPart
        .slice(API_PREFIX.length + 1)
        .split('/')
        .map((s) => decodeURIComponent(s));
    } catch {
      throw new ApiError(400, 'ERR_BAD_REQUEST', `malformed percent-encoding in path ${pathPart}`);
    }
    const candidates: { route: Route; params: string[] }[] = [];
    for (const route of this.#routes) {
      const params = routeMatch(route, segs);
      if (params) candidates.push({ route, params });
    }
    if (candidates.length === 0) throw new ApiError(404, 'ERR_NOT_FOUND', `no route ${pathPart}`);
    const hit = candidates.find((c) => c.route.method === req.method);
    if (!hit) {
      const allow = [...new Set(candidates.map((c) => c.route.method))].join(', ');
      throw new ApiError(
        405,
        'ERR_METHOD_NOT_ALLOWED',
        `${req.method} is not allowed on ${pathPart} (allowed: ${allow})`,
        undefined,
        { allow },
      );
    }
    const accepted = hit.route.query ?? [];
    for (const k of new Set(query.keys())) {
      if (!accepted.includes(k)) throw new ApiError(400, 'ERR_BAD_REQUEST', `unknown query parameter "${k}"`);
      if (query.getAll(k).length > 1)
        throw new ApiError(400, 'ERR_BAD_REQUEST', `query parameter "${k}" repeated`);
    }
    const ctx: Ctx = { req, res, params: hit.params, query };
    if (hit.route.method === 'GET' && !hit.route.stream) {
      // A GET carries no body; one that does is refused rather than silently ignored.
      const body = await readBody(req, MAX_BODY_BYTES);
      if (body.length > 0) throw new ApiError(400, 'ERR_BAD_REQUEST', `GET ${pathPart} takes no body`);
    }
    const result = await hit.route.handle(ctx);
    if (!hit.route.stream) sendJson(res, 200, result);
  }

  #call<T>(p: () => Promise<T> | T, what: string): Promise<T> {
    return withTimeout(Promise.resolve().then(p), this.#opts.callTimeoutMs ?? CALL_TIMEOUT_MS, what);
  }

  #buildRoutes(): Route[] {
    const t = this.#opts.target;
    const log = this.#opts.logger;
    /**
     * act runs an operator action and logs it once its outcome is known: done at info, refused (the
     * daemon said no: nothing changed) or failed (5xx: it may still be under way) at warn.
     */
    const act = async <T>(
      what: string,
      fields: Record<string, unknown>,
      run: () => Promise<T>,
      refusal?: (r: T) => { code: ErrorCode; message: string } | undefined,
    ): Promise<T> => {
      const base = { event: 'control-action', action: what, ...fields };
      let r: T;
      try {
        r = await run();
      } catch (e) {
        const code: string = e instanceof ApiError || isMaglevError(e) ? e.code : 'ERR_INTERNAL';
        const message = e instanceof Error ? e.message : String(e);
        const outcome = statusOf(code as ErrorCode) >= 500 ? 'failed' : 'refused';
        log?.warn({ ...base, outcome, code, error: message }, `operator: ${what}: ${outcome}: ${message}`);
        throw e;
      }
      const no = refusal?.(r);
      if (no) {
        log?.warn(
          { ...base, outcome: 'refused', code: no.code, error: no.message },
          `operator: ${what}: refused: ${no.message}`,
        );
      } else {
        log?.info({ ...base, outcome: 'done' }, `operator: ${what}`);
      }
      return r;
    };
    const find = <T extends { name: string }>(list: T[], kind: string, name: string): T => {
      const v = list.find((x) => x.name === name);
      if (!v) throw new ApiError(404, 'ERR_NOT_FOUND', `no ${kind} named "${name}"`);
      return v;
    };
    return [
      { method: 'GET', segments: ['info'], handle: () => this.#call(() => t.info(), 'info') },
      {
        method: 'GET',
        segments: ['frontends'],
        handle: async () => ({ frontends: await this.#call(() => t.frontends(), 'show frontends') }),
      },
      {
        method: 'GET',
        segments: ['frontends', ':name'],
        handle: async ({ params }) => {
          const name = checkName('frontend', params[0]);
          return find(await this.#call(() => t.frontends(), 'show frontends'), 'frontend', name);
        },
      },
      {
        method: 'GET',
        segments: ['backends'],
        handle: async () => ({ backends: await this.#call(() => t.backends(), 'show backends') }),
      },
      {
        method: 'GET',
        segments: ['backends', ':name'],
        handle: async ({ params }) => {
          const name = checkName('backend', params[0]);
          return find(await this.#call(() => t.backends(), 'show backends'), 'backend', name);
        },
      },
      {
        method: 'POST',
        segments: ['backends', ':name', 'admin'],
        handle: async (ctx) => {
          const name = checkName('backend', ctx.params[0]);
          const body = parseWith(BackendAdminBodySchema, await jsonBody(ctx, MAX_BODY_BYTES), 'request body');
          return act(`${body.action} backend ${name}`, { backend: name }, () =>
            this.#call(() => t.setBackendState(name, body.action), `${body.action} ${name}`),
          );
        },
      },
      {
        method: 'GET',
        segments: ['healthchecks'],
        handle: async () => ({ healthchecks: await this.#call(() => t.healthchecks(), 'show healthchecks') }),
      },
      { method: 'GET', segments: ['vpp'], handle: () => this.#call(() => t.vpp(), 'show vpp') },
      { method: 'GET', segments: ['vpp', 'lb'], handle: () => this.#call(() => t.vppLb(), 'show vpp lb') },
      { method: 'GET', segments: ['plan'], handle: () => this.#call(() => t.plan(), 'show plan') },
      {
        method: 'GET',
        segments: ['explain', ':frontend', ':backend'],
        handle: ({ params }) => {
          const fe = checkName('frontend', params[0]);
          const be = checkName('backend', params[1]);
          return this.#call(() => t.explain(fe, be), 'explain');
        },
      },
      {
        method: 'POST',
        segments: ['weights'],
        handle: async (ctx) => {
          const b = parseWith(SetWeightBodySchema, await jsonBody(ctx, MAX_BODY_BYTES), 'request body');
          const flush = b.flush ?? false;
          return act(
            `set weight ${b.frontend}/${b.pool}/${b.backend} ${b.weight}${flush ? ' flush' : ''}`,
            { frontend: b.frontend, pool: b.pool, backend: b.backend },
            () => this.#call(() => t.setWeight(b.frontend, b.pool, b.backend, b.weight, flush), 'set weight'),
          );
        },
      },
      {
        method: 'POST',
        segments: ['sync'],
        handle: async (ctx) => {
          const b = parseWith(SyncBodySchema, await jsonBody(ctx, MAX_BODY_BYTES), 'request body');
          return act(b.frontend ? `sync ${b.frontend}` : 'sync', { frontend: b.frontend }, () =>
            this.#call(() => t.sync(b.frontend), 'sync'),
          );
        },
      },
      {
        method: 'POST',
        segments: ['config', 'check'],
        handle: async (ctx) => {
          const b = parseWith(
            ConfigCheckBodySchema,
            await jsonBody(ctx, MAX_CONFIG_BODY_BYTES),
            'request body',
          );
          return this.#call(() => t.checkConfig(b.file), 'config check');
        },
      },
      {
        method: 'POST',
        segments: ['config', 'reload'],
        handle: async (ctx) => {
          parseWith(ConfigReloadBodySchema, await jsonBody(ctx, MAX_BODY_BYTES), 'request body');
          const summary = (r: ConfigReloadResult) => {
            const first = r.errors[0];
            const where = first?.line != null ? `${r.file}:${first.line}:${first.col ?? 1}: ` : `${r.file}: `;
            return `${where}${first?.message ?? 'invalid'}`;
          };
          const r = await act(
            'config reload',
            {},
            () => this.#call(() => t.reloadConfig(), 'config reload'),
            (r) =>
              r.ok
                ? undefined
                : { code: 'ERR_CONFIG', message: `${r.errors.length} error(s), first ${summary(r)}` },
          );
          if (!r.ok) {
            throw new ApiError(
              422,
              'ERR_CONFIG',
              `config reload refused, the running config stays: ${summary(r)}`,
              r,
            );
          }
          return r;
        },
      },
      {
        method: 'PUT',
        segments: ['log-level'],
        handle: async (ctx) => {
          const b = parseWith(LogLevelBodySchema, await jsonBody(ctx, MAX_BODY_BYTES), 'request body');
          await act(`log level ${b.level}`, { level: b.level }, () =>
            this.#call(() => t.setLogLevel(b.level), 'set log level'),
          );
          return { level: b.level };
        },
      },
      {
        method: 'GET',
        segments: ['events'],
        query: ['backend', 'frontend', 'level'],
        stream: true,
        handle: (ctx) => this.#events(ctx),
      },
    ];
  }

  /** #events opens an SSE stream: subscribe, replay the current state in the same tick, then live events. */
  #events(ctx: Ctx): void {
    const query = parseWith(EventsQuerySchema, Object.fromEntries(ctx.query), 'query');
    if (this.#closing) throw new MaglevError('ERR_UNAVAILABLE', 'the daemon is shutting down');
    const maxStreams = this.#opts.maxEventStreams ?? MAX_EVENT_STREAMS;
    if (this.#subscribers.size >= maxStreams) {
      throw new MaglevError(
        'ERR_UNAVAILABLE',
        `${this.#subscribers.size} event streams are open, the most the daemon serves; close one and try again`,
      );
    }
    const t = this.#opts.target;
    const { res } = ctx;
    let sub: EventSubscription | undefined;
    const subscriber = new SseSubscriber(
      res,
      query,
      () => {
        sub?.close();
        this.#subscribers.delete(subscriber);
      },
      {
        events: this.#opts.maxEventsBehind,
        bytes: this.#opts.maxBytesBehind,
        total: this.#streamBudget,
      },
    );
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    res.flushHeaders();
    // Nothing below awaits: no event can fall between the subscription and the replay's snapshot.
    sub = t.subscribe({ logLevel: query.level }, (e) => subscriber.send(e));
    this.#subscribers.add(subscriber);
    const time = new Date((this.#opts.now ?? Date.now)()).toISOString();
    const replay: ControlEvent[] = [];
    for (const b of t.backends()) {
      const e: BackendEvent = {
        type: 'backend',
        time,
        backend: b.name,
        address: b.address,
        from: b.state,
        to: b.state,
        code: b.lastProbe?.code ?? null,
        reason: 'current state',
        health: b.health,
        synthetic: true,
      };
      replay.push(e);
    }
    for (const f of t.frontends()) {
      const e: FrontendEvent = {
        type: 'frontend',
        time,
        frontend: f.name,
        vip: f.vip,
        from: f.state,
        to: f.state,
        activePool: f.activePool,
        synthetic: true,
      };
      replay.push(e);
    }
    subscriber.replay(replay);
  }
}
