// The reload race with real probes on loopback: a probe hangs at the old address while a reload moves the backend.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CheckerEvent, HealthChecker } from '../../src/checker/checker.js';
import { hc, model } from './builders.js';

async function until(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('reload race (real http probes)', () => {
  let oldServer: Server;
  let newServer: Server;
  let port: number;
  const hung: Socket[] = [];
  let oldRequests = 0;
  beforeAll(async () => {
    // The old address accepts the request and never answers.
    oldServer = createServer((rq) => {
      oldRequests++;
      hung.push(rq.socket);
    });
    oldServer.listen(0, '127.0.0.1');
    await once(oldServer, 'listening');
    port = (oldServer.address() as AddressInfo).port;
    newServer = createServer((_rq, res) => res.end('ok'));
    newServer.listen(port, '127.0.0.2');
    await once(newServer, 'listening');
  });
  afterAll(() => {
    for (const s of hung) s.destroy();
    oldServer.close();
    newServer.close();
  });

  it("drops the old address's result and brings up the new address from unknown", async () => {
    const H = hc({ name: 'web', type: 'http', port, intervalMs: 5000, timeoutMs: 3000, rise: 2, fall: 3 });
    const c = new HealthChecker(
      model({ healthchecks: [H], backends: [{ name: 'web1', address: '127.0.0.1' }] }),
      {
        random: () => 0,
      },
    );
    const events: CheckerEvent[] = [];
    c.subscribe((e) => events.push(e));
    try {
      c.start();
      await until(() => oldRequests === 1, 3000); // the probe to 127.0.0.1 is in flight
      c.applyConfig(model({ healthchecks: [H], backends: [{ name: 'web1', address: '127.0.0.2' }] }));
      expect(c.snapshot().backends.get('web1')).toMatchObject({ state: 'unknown', health: 1 });
      await until(() => c.snapshot().backends.get('web1')?.state === 'up', 3000);
      expect(c.stats().dropped.staleAddress).toBe(1);
      expect(c.snapshot().backends.get('web1')?.address.text).toBe('127.0.0.2');
      // Nothing about 127.0.0.1 was ever applied: no result, no transition except the reload's own restart.
      expect(events.filter((e) => e.type === 'result').map((e) => e.address.text)).toEqual(['127.0.0.2']);
      const transitions = events.flatMap((e) =>
        e.type === 'transition' ? [[e.address.text, e.transition.to]] : [],
      );
      expect(transitions).toEqual([['127.0.0.2', 'up']]);
    } finally {
      c.stop();
    }
  });
});
