// The quick start's backends: small HTTP servers on loopback addresses, healthy, failing and flapping.
import { createServer, type Server } from 'node:http';

export type DemoBehaviour = 'healthy' | 'failing' | 'flapping';

export interface DemoBackend {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly behaviour: DemoBehaviour;
}

/** The backends examples/demo.yaml names: one loopback address each, as VPP keys ASs by address. */
export const DEMO_BACKENDS: readonly DemoBackend[] = [
  { name: 'web1', host: '127.0.0.1', port: 18001, behaviour: 'healthy' },
  { name: 'web2', host: '127.0.0.2', port: 18002, behaviour: 'healthy' },
  { name: 'web3', host: '127.0.0.3', port: 18003, behaviour: 'failing' },
  { name: 'web4', host: '127.0.0.4', port: 18004, behaviour: 'flapping' },
];

/** A flapping backend alternates between healthy and failing this often. */
export const FLAP_PERIOD_MS = 15_000;

/** startDemoBackends listens on every demo address; close() stops them all. */
export async function startDemoBackends(
  backends: readonly DemoBackend[] = DEMO_BACKENDS,
  now: () => number = Date.now,
): Promise<{ close(): Promise<void> }> {
  const started = now();
  const servers: Server[] = [];
  for (const b of backends) {
    const server = createServer((req, res) => {
      const healthy =
        b.behaviour === 'healthy' ||
        (b.behaviour === 'flapping' && Math.floor((now() - started) / FLAP_PERIOD_MS) % 2 === 0);
      res.writeHead(healthy ? 200 : 503, { 'content-type': 'text/plain', connection: 'close' });
      res.end(`${b.name} ${healthy ? 'ok' : 'failing'} (${req.url})\n`);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(b.port, b.host, () => resolve());
    });
    servers.push(server);
  }
  return {
    async close() {
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
}
