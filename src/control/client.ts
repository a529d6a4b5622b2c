// The control API client maglevctl uses: JSON requests with timeouts, clear errors, and SSE reading for watch.
import { type IncomingMessage, request } from 'node:http';
import { MaglevError } from '../util/errors.js';
import { API_PREFIX, type ApiErrorBody, type StreamEvent } from './protocol.js';

/** A request's whole round trip must finish within this. */
export const REQUEST_TIMEOUT_MS = 10_000;

/** An event stream silent for this long is dead (the server sends a keepalive every 15 s). */
export const STREAM_IDLE_TIMEOUT_MS = 45_000;

/** A response larger than this is refused (the views of a big config are far smaller). */
export const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/** An SSE frame larger than this breaks the stream (the server caps its frames well below). */
export const MAX_FRAME_BYTES = 1024 * 1024;

/**
 * ControlError is a failed control request. `status` is the HTTP status for an error from the daemon
 * (undefined when the daemon was not reached); `apiCode` the API's error code.
 */
export class ControlError extends MaglevError {
  readonly status: number | undefined;
  readonly apiCode: string;
  readonly details: unknown;
  constructor(message: string, status: number | undefined, apiCode: string, details?: unknown) {
    super(
      status === undefined || status === 503
        ? 'ERR_UNAVAILABLE'
        : status === 404
          ? 'ERR_NOT_FOUND'
          : status >= 400 && status < 500
            ? 'ERR_BAD_REQUEST'
            : 'ERR_INTERNAL',
      message,
    );
    this.status = status;
    this.apiCode = apiCode;
    this.details = details;
  }

  /** True when the daemon was not reached at all (no socket, nobody listening, no answer). */
  get unreachable(): boolean {
    return this.status === undefined;
  }
}

/** unreachableMessage turns a connect error into one line naming the socket. */
export function unreachableMessage(socketPath: string, e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case 'ENOENT':
      return `cannot reach maglevd: control socket ${socketPath} does not exist (is maglevd running? use --socket or MAGLEV_CONTROL_SOCKET)`;
    case 'ECONNREFUSED':
      return `cannot reach maglevd: nothing listens on control socket ${socketPath} (is maglevd running?)`;
    case 'EACCES':
    case 'EPERM':
      return `cannot reach maglevd: permission denied on control socket ${socketPath} (is your user in maglevd's group?)`;
    case 'ENOTSOCK':
      return `cannot reach maglevd: ${socketPath} is not a socket`;
    default:
      return `cannot reach maglevd on control socket ${socketPath}: ${e.message}`;
  }
}

export interface ClientOptions {
  readonly socketPath: string;
  readonly timeoutMs?: number;
}

export interface EventStreamOptions {
  readonly signal?: AbortSignal;
  readonly idleTimeoutMs?: number;
}

/** How an event stream ended: the caller aborted, the daemon closed it, or the daemon dropped us. */
export type StreamEnd = 'aborted' | 'closed' | 'overflow';

function readAll(res: IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        res.destroy(new Error(`response larger than ${max} bytes`));
        return;
      }
      chunks.push(c);
    });
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

/**
 * ControlClient talks to maglevd over its unix socket, one connection per request (no pooling: the CLI
 * makes one or two requests and exits).
 */
export class ControlClient {
  readonly socketPath: string;
  readonly #timeoutMs: number;

  constructor(opts: ClientOptions) {
    this.socketPath = opts.socketPath;
    this.#timeoutMs = opts.timeoutMs ?? REQUEST_TIMEOUT_MS;
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PUT', path, body);
  }

  /** request sends one JSON request to `/v1<path>` and resolves with the parsed 2xx body. */
  request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const finish = (err: Error | undefined, value?: T) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve(value as T);
      };
      const req = request(
        {
          socketPath: this.socketPath,
          path: `${API_PREFIX}${path}`,
          method,
          agent: false,
          headers: payload
            ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
            : {},
        },
        (res) => {
          readAll(res, MAX_RESPONSE_BYTES).then(
            (text) => {
              try {
                finish(undefined, this.#decode<T>(res.statusCode ?? 0, text));
              } catch (e) {
                finish(e as Error);
              }
            },
            (e: Error) =>
              finish(
                new ControlError(`reading the reply from maglevd failed: ${e.message}`, 0, 'ERR_DECODE'),
              ),
          );
        },
      );
      const timer = setTimeout(() => {
        finish(
          new ControlError(
            `maglevd did not answer on control socket ${this.socketPath} within ${this.#timeoutMs} ms`,
            undefined,
            'ERR_UNAVAILABLE',
          ),
        );
        req.destroy();
      }, this.#timeoutMs);
      req.on('error', (e: NodeJS.ErrnoException) =>
        finish(new ControlError(unreachableMessage(this.socketPath, e), undefined, 'ERR_UNAVAILABLE')),
      );
      req.end(payload);
    });
  }

  #decode<T>(status: number, text: string): T {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new ControlError(`maglevd sent a reply that is not JSON (HTTP ${status})`, status, 'ERR_DECODE');
    }
    if (status >= 200 && status < 300) return parsed as T;
    const err = (parsed as Partial<ApiErrorBody>).error;
    throw new ControlError(
      err?.message ?? `maglevd answered HTTP ${status}`,
      status,
      err?.code ?? 'ERR_INTERNAL',
      err?.details,
    );
  }

  /**
   * events streams `/v1/events?<query>` to `onEvent` until the signal aborts ('aborted'), the daemon
   * ends the stream ('closed'), or the daemon drops this subscriber ('overflow', after delivering the
   * overflow event). Rejects with a ControlError when the daemon is unreachable, refuses the request,
   * or goes silent for longer than the idle timeout.
   */
  events(
    query: Record<string, string | undefined>,
    onEvent: (e: StreamEvent) => void,
    opts: EventStreamOptions = {},
  ): Promise<StreamEnd> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, v);
    const qs = params.toString();
    const idleMs = opts.idleTimeoutMs ?? STREAM_IDLE_TIMEOUT_MS;
    return new Promise<StreamEnd>((resolve, reject) => {
      let settled = false;
      let overflow = false;
      let timer: NodeJS.Timeout | undefined;
      const finish = (err: Error | undefined, end?: StreamEnd) => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        req.destroy();
        if (err) reject(err);
        else resolve(end ?? 'closed');
      };
      const arm = (what: string) => {
        if (timer) clearTimeout(timer);
        timer = setTimeout(
          () =>
            finish(
              new ControlError(
                `maglevd ${what} on control socket ${this.socketPath} for ${idleMs} ms`,
                undefined,
                'ERR_UNAVAILABLE',
              ),
            ),
          idleMs,
        );
      };
      const onAbort = () => finish(undefined, 'aborted');
      const req = request(
        { socketPath: this.socketPath, path: `${API_PREFIX}/events${qs ? `?${qs}` : ''}`, agent: false },
        (res) => {
          if (res.statusCode !== 200) {
            readAll(res, MAX_RESPONSE_BYTES).then(
              (text) => {
                try {
                  this.#decode(res.statusCode ?? 0, text);
                  finish(
                    new ControlError('maglevd refused the event stream', res.statusCode, 'ERR_INTERNAL'),
                  );
                } catch (e) {
                  finish(e as Error);
                }
              },
              (e: Error) => finish(e),
            );
            return;
          }
          arm('sent nothing');
          let buf = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            arm('sent nothing');
            buf += chunk;
            let idx = buf.indexOf('\n\n');
            while (idx >= 0) {
              const frame = buf.slice(0, idx);
              buf = buf.slice(idx + 2);
              const e = parseFrame(frame);
              if (e) {
                if (e.type === 'overflow') overflow = true;
                onEvent(e);
              }
              idx = buf.indexOf('\n\n');
            }
            if (buf.length > MAX_FRAME_BYTES) {
              finish(new ControlError('maglevd sent an oversized event frame', 200, 'ERR_DECODE'));
            }
          });
          res.on('end', () => finish(undefined, overflow ? 'overflow' : 'closed'));
          res.on('error', () => finish(undefined, overflow ? 'overflow' : 'closed'));
          res.on('close', () => finish(undefined, overflow ? 'overflow' : 'closed'));
        },
      );
      arm('did not answer');
      req.on('error', (e: NodeJS.ErrnoException) =>
        finish(new ControlError(unreachableMessage(this.socketPath, e), undefined, 'ERR_UNAVAILABLE')),
      );
      if (opts.signal?.aborted) {
        finish(undefined, 'aborted');
        return;
      }
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      req.end();
    });
  }
}

/** parseFrame reads one SSE frame (comments ignored); undefined for keepalives and unparsable data. */
export function parseFrame(frame: string): StreamEvent | undefined {
  const data: string[] = [];
  for (const line of frame.split('\n')) {
    if (line.startsWith('data:')) data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
  }
  if (data.length === 0) return undefined;
  try {
    const v = JSON.parse(data.join('\n')) as StreamEvent;
    return typeof v === 'object' && v !== null && typeof v.type === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}
