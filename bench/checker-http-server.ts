// Loopback HTTP backends for the checker benchmark, in their own process so their CPU is not counted.
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const count = Number(process.argv[2] ?? 8);
const ports: number[] = [];
for (let i = 0; i < count; i++) {
  const s = createServer((_req, res) => {
    res.setHeader('content-type', 'text/plain');
    res.end('ok\n');
  });
  s.keepAliveTimeout = 1000;
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  ports.push((s.address() as AddressInfo).port);
}
process.stdout.write(`${JSON.stringify({ ports })}\n`);
// Ends with the parent: closing stdin is the signal.
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
