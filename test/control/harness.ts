// Test harness: the real control server with a FakeControlTarget on a temp unix socket, and a raw HTTP helper.
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlServer, type ControlServerOptions } from '../../src/control/server.js';
import { FAKE_NOW, FakeControlTarget } from '../fakes/fake-control-target.js';

export interface Harness {
  readonly dir: string;
  readonly socketPath: string;
  readonly target: FakeControlTarget;
  readonly server: ControlServer;
  close(): Promise<void>;
}

/** startHarness: a fresh temp dir (the socket sits in a `run/` subdirectory the server creates). */
export async function startHarness(opts: Partial<ControlServerOptions> = {}): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'maglev-control-'));
  const socketPath = join(dir, 'run', 'maglevd.sock');
  const target = new FakeControlTarget();
  const server = await ControlServer.start({ socketPath, target, now: () => FAKE_NOW, ...opts });
  return {
    dir,
    socketPath,
    target,
    server,
    close: async () => {
      await server.close(100);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** Parsed body, or undefined when it is not JSON. */
  json: unknown;
}

/** raw sends one request with an exact body (string or bytes) and collects the whole response. */
export function raw(
  socketPath: string,
  method: string,
  path: string,
  body?: string | Buffer,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** jsonReq sends a JSON body. */
export function jsonReq(
  socketPath: string,
  method: string,
  path: string,
  body: unknown,
): Promise<RawResponse> {
  const text = JSON.stringify(body);
  return raw(socketPath, method, path, text, { 'content-type': 'application/json' });
}

/** errorOf narrows an error response body. */
export function errorOf(r: RawResponse): { code: string; message: string; details?: unknown } {
  const e = (r.json as { error?: { code: string; message: string; details?: unknown } } | undefined)?.error;
  if (!e) throw new Error(`not an error body (HTTP ${r.status}): ${r.text}`);
  return e;
}

/** API_TOPS: the first path segments under /v1/ that name a route; fuzzers aim elsewhere for 404s. */
export const API_TOPS: ReadonlySet<string> = new Set([
  'info',
  'frontends',
  'backends',
  'healthchecks',
  'vpp',
  'plan',
  'explain',
  'weights',
  'sync',
  'config',
  'log-level',
  'events',
]);
