// The /metrics HTTP endpoint: serves the registry, refuses the rest, parses --metrics, bounds every wait.
import { request } from 'node:http';
import { connect } from 'node:net';
import { Gauge, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type MetricsServer,
  parseMetricsListen,
  startMetricsServer,
} from '../../src/daemon/metrics-server.js';

const servers: MetricsServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

function get(port: number, path: string, method = 'GET') {
  return new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('metrics server', () => {
  it('parses --metrics: host:port, [v6]:port, empty disables, anything else is refused', () => {
    expect(parseMetricsListen('127.0.0.1:9091')).toEqual({ host: '127.0.0.1', port: 9091 });
    expect(parseMetricsListen('[::1]:9091')).toEqual({ host: '::1', port: 9091 });
    expect(parseMetricsListen('')).toBeUndefined();
    for (const bad of [
      'localhost:9091',
      '127.0.0.1',
      ':9091',
      '127.0.0.1:0x10',
      '[10.0.0.1]:1',
      '::1:9091',
      '1.2.3.4:70000',
    ]) {
      expect(() => parseMetricsListen(bad), bad).toThrow(expect.objectContaining({ code: 'ERR_CONFIG' }));
    }
  });

  it('serves /metrics in the Prometheus text format, 404 elsewhere, 405 for other methods', async () => {
    const registry = new Registry();
    new Gauge({ name: 'maglev_test_gauge', help: 'a test gauge', registers: [registry] }).set(7);
    const s = await startMetricsServer(registry, { host: '127.0.0.1', port: 0 });
    servers.push(s);
    const ok = await get(s.address.port, '/metrics');
    expect(ok.status).toBe(200);
    expect(ok.type).toContain('text/plain; version=0.0.4');
    expect(ok.body).toContain('# TYPE maglev_test_gauge gauge\nmaglev_test_gauge 7\n');
    expect((await get(s.address.port, '/')).status).toBe(404);
    expect((await get(s.address.port, '/metrics', 'POST')).status).toBe(405);
    expect((await get(s.address.port, '/metrics', 'HEAD')).status).toBe(200);
  });

  it('refuses to start on a port in use, naming the address', async () => {
    const s = await startMetricsServer(new Registry(), { host: '127.0.0.1', port: 0 });
    servers.push(s);
    await expect(
      startMetricsServer(new Registry(), { host: '127.0.0.1', port: s.address.port }),
    ).rejects.toThrow(`cannot listen on 127.0.0.1:${s.address.port}: EADDRINUSE`);
  });

  it('closes a connection that never sends a request', async () => {
    const s = await startMetricsServer(
      new Registry(),
      { host: '127.0.0.1', port: 0 },
      { requestTimeoutMs: 100 },
    );
    servers.push(s);
    const answer = await new Promise<string>((resolve) => {
      let received = '';
      const c = connect(s.address.port, '127.0.0.1');
      c.write('GET /metrics HTTP/1.1\r\n'); // headers never finish
      c.on('data', (d) => {
        received += String(d);
      });
      c.on('close', () => resolve(received));
      c.on('error', () => undefined);
    });
    // Either a 408 (request timeout) or a bare close (idle timeout) won the race; either way it is closed.
    expect(answer === '' || answer.startsWith('HTTP/1.1 408')).toBe(true);
  });
});
