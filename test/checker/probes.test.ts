// The tcp, http and https probes against real loopback servers started here (nothing leaves 127.0.0.1/::1).
import { once } from 'node:events';
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { type AddressInfo, createServer as createTcpServer, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpProbe, httpProbe, USER_AGENT } from '../../src/checker/probes/http.js';
import type { ProbeRequest } from '../../src/checker/probes/probe.js';
import { tcpProbe } from '../../src/checker/probes/tcp.js';
import type { HealthcheckSpec } from '../../src/model/desired.js';
import { VERSION } from '../../src/util/version.js';
import { addr, hc } from './builders.js';
import { type BlackholeListener, blackholeListener, selfSigned } from './loopback.js';

const TIMEOUT_MS = 250;

function req(spec: HealthcheckSpec, address = '127.0.0.1'): ProbeRequest {
  return { address: addr(address), spec, signal: AbortSignal.timeout(spec.timeoutMs) };
}

async function listen(
  server: Server | ReturnType<typeof createTcpServer>,
  host = '127.0.0.1',
): Promise<number> {
  server.listen(0, host);
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

describe('tcp probe', () => {
  let accepting: ReturnType<typeof createTcpServer>;
  let port: number;
  let blackhole: BlackholeListener;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    accepting = createTcpServer((s) => {
      sockets.push(s);
      s.on('error', () => {});
    });
    port = await listen(accepting);
    blackhole = await blackholeListener();
  });
  afterAll(() => {
    for (const s of sockets) s.destroy();
    accepting.close();
    blackhole.close();
  });

  it('passes with L4OK when the port accepts (IPv4 and IPv6)', async () => {
    const r = await tcpProbe(req(hc({ type: 'tcp', port, timeoutMs: TIMEOUT_MS })));
    expect(r).toMatchObject({ ok: true, code: 'L4OK' });
    const v6 = createTcpServer((s) => s.destroy());
    const p6 = await listen(v6, '::1');
    const r6 = await tcpProbe(req(hc({ type: 'tcp', port: p6, timeoutMs: TIMEOUT_MS }), '::1'));
    v6.close();
    expect(r6).toMatchObject({ ok: true, code: 'L4OK' });
  });

  it('fails with L4CON when the port refuses', async () => {
    const closed = createTcpServer();
    const p = await listen(closed);
    closed.close();
    await once(closed, 'close');
    const r = await tcpProbe(req(hc({ type: 'tcp', port: p, timeoutMs: TIMEOUT_MS })));
    expect(r).toMatchObject({ ok: false, code: 'L4CON' });
    expect(r.detail).toContain('ECONNREFUSED');
  });

  it('fails with L4TOUT when the connection is never accepted', async () => {
    const r = await tcpProbe(req(hc({ type: 'tcp', port: blackhole.port, timeoutMs: TIMEOUT_MS })));
    expect(r).toMatchObject({ ok: false, code: 'L4TOUT' });
  });

  it('uses the configured source address', async () => {
    const seen: string[] = [];
    const srv = createTcpServer((s) => {
      seen.push(s.remoteAddress ?? '');
      s.destroy();
    });
    const p = await listen(srv);
    const r = await tcpProbe(
      req(hc({ type: 'tcp', port: p, timeoutMs: TIMEOUT_MS, sourceV4: addr('127.0.0.2') })),
    );
    await new Promise((res) => setTimeout(res, 20));
    srv.close();
    expect(r.code).toBe('L4OK');
    expect(seen).toEqual(['127.0.0.2']);
  });

  it('reports L4CFG when the source address is not on this host (nothing is sent)', async () => {
    const r = await tcpProbe(
      req(hc({ type: 'tcp', port, timeoutMs: TIMEOUT_MS, sourceV4: addr('192.0.2.55') })),
    );
    expect(r).toMatchObject({ ok: false, code: 'L4CFG' });
    expect(r.detail).toContain('EADDRNOTAVAIL');
    const h = await httpProbe(
      req(hc({ type: 'http', port, timeoutMs: TIMEOUT_MS, sourceV4: addr('192.0.2.55') })),
    );
    expect(h).toMatchObject({ ok: false, code: 'L4CFG' });
  });
});

describe('http probe', () => {
  let server: Server;
  let port: number;
  const requests: IncomingMessage[] = [];
  beforeAll(async () => {
    server = createHttpServer((rq, res) => {
      requests.push(rq);
      if (rq.url === '/ok') res.end('fine');
      else if (rq.url === '/big') res.end(Buffer.alloc(1 << 20, 120));
      else if (rq.url === '/500') {
        res.statusCode = 500;
        res.end('broken');
      } else if (rq.url === '/hang') {
        res.writeHead(200, { 'content-length': '100' });
        res.write('partial'); // then nothing: headers arrived, the body never completes
      } else res.end();
    });
    port = await listen(server);
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });
  const spec = (over: Partial<HealthcheckSpec>) => hc({ type: 'http', port, timeoutMs: TIMEOUT_MS, ...over });

  it('passes with L7OK on 200 and sends Host, User-Agent, no keep-alive', async () => {
    const r = await httpProbe(
      req(spec({ path: '/ok', host: 'www.example.test', headers: { 'X-Check': '1' } })),
    );
    expect(r).toMatchObject({ ok: true, code: 'L7OK', detail: 'HTTP 200' });
    const seen = requests.at(-1);
    expect(seen?.headers.host).toBe('www.example.test');
    expect(seen?.headers['user-agent']).toBe(`maglevd/${VERSION}`);
    expect(USER_AGENT).toMatch(/^maglevd\/\d+\.\d+\.\d+/);
    expect(seen?.headers.connection).toBe('close');
    expect(seen?.headers['x-check']).toBe('1');
  });

  it('defaults Host to the backend address and port', async () => {
    await httpProbe(req(spec({ path: '/ok' })));
    expect(requests.at(-1)?.headers.host).toBe(`127.0.0.1:${port}`);
  });

  it('brackets an IPv6 address in the default Host header', async () => {
    const seen: (string | undefined)[] = [];
    const v6 = createHttpServer((rq, res) => {
      seen.push(rq.headers.host);
      res.end();
    });
    const p6 = await listen(v6, '::1');
    const r = await httpProbe(req(spec({ port: p6, path: '/' }), '::1'));
    v6.close();
    expect(r).toMatchObject({ ok: true, code: 'L7OK' });
    expect(seen).toEqual([`[::1]:${p6}`]);
  });

  it('fails with L7STS on 500, and accepts it when expect-status says so', async () => {
    const r = await httpProbe(req(spec({ path: '/500' })));
    expect(r).toMatchObject({ ok: false, code: 'L7STS' });
    expect(r.detail).toBe('HTTP 500, expected 200-399');
    const ok = await httpProbe(req(spec({ path: '/500', expectStatus: [[500, 500]] })));
    expect(ok).toMatchObject({ ok: true, code: 'L7OK' });
  });

  it('a large body is read only up to the cap', async () => {
    const r = await httpProbe(req(spec({ path: '/big' })));
    expect(r).toMatchObject({ ok: true, code: 'L7OK' });
  });

  it('fails with L7TOUT when the response hangs after its headers', async () => {
    const r = await httpProbe(req(spec({ path: '/hang' })));
    expect(r).toMatchObject({ ok: false, code: 'L7TOUT' });
  });

  it('fails with L7RSP on a garbage response', async () => {
    const garbage = createTcpServer((s) => {
      s.on('error', () => {});
      s.once('data', () => s.end('this is not http\r\n\r\n'));
    });
    const p = await listen(garbage);
    const r = await httpProbe(req(spec({ port: p })));
    garbage.close();
    expect(r).toMatchObject({ ok: false, code: 'L7RSP' });
  });

  it('fails with L7RSP when the server closes without a response', async () => {
    const rude = createTcpServer((s) => s.once('data', () => s.destroy()));
    const p = await listen(rude);
    const r = await httpProbe(req(spec({ port: p })));
    rude.close();
    expect(r).toMatchObject({ ok: false, code: 'L7RSP' });
  });

  it('fails with L4CON when refused and L4TOUT when never accepted', async () => {
    const closed = createTcpServer();
    const p = await listen(closed);
    closed.close();
    await once(closed, 'close');
    expect(await httpProbe(req(spec({ port: p })))).toMatchObject({ ok: false, code: 'L4CON' });
    const bh = await blackholeListener();
    const r = await httpProbe(req(spec({ port: bh.port })));
    bh.close();
    expect(r).toMatchObject({ ok: false, code: 'L4TOUT' });
  });

  it('never throws, even for a nonsense request', async () => {
    const r = await httpProbe(req(spec({ path: 'no spaces allowed here' })));
    expect(r.ok).toBe(false);
    expect(r.code).toBe('L4CFG');
  });
});

describe('https probe', () => {
  const NAME = 'health.maglevd.test';
  const { key, cert } = selfSigned(NAME);
  let server: ReturnType<typeof createHttpsServer>;
  let port: number;
  const seen: { servername: string | false | null | undefined; host: string | undefined }[] = [];
  const stalled: Socket[] = [];
  let stallPort: number;
  let stallServer: ReturnType<typeof createTcpServer>;
  beforeAll(async () => {
    server = createHttpsServer({ key, cert }, (rq, res) => {
      seen.push({ servername: (rq.socket as TLSSocket).servername, host: rq.headers.host });
      res.end('ok');
    });
    port = await listen(server as unknown as Server);
    // Accepts TCP but never speaks TLS: the handshake cannot complete.
    stallServer = createTcpServer((s) => {
      stalled.push(s);
      s.on('error', () => {});
    });
    stallPort = await listen(stallServer);
  });
  afterAll(() => {
    server.close();
    for (const s of stalled) s.destroy();
    stallServer.close();
  });
  const spec = (over: Partial<HealthcheckSpec>) =>
    hc({ type: 'https', port, timeoutMs: TIMEOUT_MS, host: NAME, ...over });
  const trusting = createHttpProbe(true, { ca: cert });
  const systemStore = createHttpProbe(true);

  it('sends SNI and Host from `host` and passes when the certificate verifies', async () => {
    const r = await trusting(req(spec({})));
    expect(r).toMatchObject({ ok: true, code: 'L7OK' });
    expect(seen.at(-1)).toEqual({ servername: NAME, host: NAME });
  });

  it('fails with L6RSP when verification is on and the certificate is not trusted', async () => {
    const r = await systemStore(req(spec({})));
    expect(r).toMatchObject({ ok: false, code: 'L6RSP' });
    expect(r.detail).toMatch(/self[- ]signed/i);
  });

  it('fails with L6RSP when the name does not match the certificate', async () => {
    const r = await trusting(req(spec({ host: 'other.maglevd.test' })));
    expect(r).toMatchObject({ ok: false, code: 'L6RSP' });
    expect(r.detail).toContain('other.maglevd.test');
  });

  it('insecure skips verification: an untrusted, mismatching certificate passes', async () => {
    const r = await systemStore(req(spec({ insecure: true, host: 'other.maglevd.test' })));
    expect(r).toMatchObject({ ok: true, code: 'L7OK' });
    expect(seen.at(-1)?.servername).toBe('other.maglevd.test');
  });

  it('sends no SNI when host is absent (an IP literal is never a server name)', async () => {
    const r = await trusting(req(spec({ host: undefined })));
    expect(r).toMatchObject({ ok: true, code: 'L7OK' }); // the certificate carries IP:127.0.0.1
    expect(seen.at(-1)?.servername).toBe(false);
    expect(seen.at(-1)?.host).toBe(`127.0.0.1:${port}`);
  });

  it('fails with L6TOUT when the TLS handshake never completes', async () => {
    const r = await trusting(req(spec({ port: stallPort })));
    expect(r).toMatchObject({ ok: false, code: 'L6TOUT' });
  });
});
