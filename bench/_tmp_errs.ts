import { once } from 'node:events';
import { createServer, request } from 'node:http';

const s = createServer((_q, r) => r.end('ok\n'));
s.listen(0, '127.0.0.1');
await once(s, 'listening');
const port = (s.address() as any).port;
const codes = new Map<string, number>();
for (let i = 0; i < 200; i++) {
  await new Promise<void>((resolve) => {
    const rq = request({
      host: '127.0.0.1',
      port,
      agent: false,
      path: '/',
      headers: { Connection: 'close' },
    });
    rq.on('error', (e: any) => {
      codes.set('req:' + e.code + ':' + e.message, (codes.get('req:' + e.code + ':' + e.message) ?? 0) + 1);
    });
    rq.on('socket', (sk) =>
      sk.on('error', (e: any) =>
        codes.set(
          'sock:' + e.code + ':' + e.syscall,
          (codes.get('sock:' + e.code + ':' + e.syscall) ?? 0) + 1,
        ),
      ),
    );
    rq.on('response', (res) => {
      res.resume();
      res.on('end', () => {
        const sk = rq.socket!;
        if (!sk.destroyed) sk.resetAndDestroy();
        rq.destroy();
        setTimeout(resolve, 1);
      });
    });
    rq.end();
  });
}
console.log(codes);
s.close();
