// Run inside a private network namespace by icmp.test.ts: pings 127.0.0.1 and ::1, prints the results as JSON.

import { IcmpSocketPool } from '../../src/checker/icmp-socket.js';
import { createIcmpProbe } from '../../src/checker/probes/icmp.js';
import { addr, hc } from './builders.js';

const pool = new IcmpSocketPool();
const probe = createIcmpProbe(pool);
const spec = hc({ type: 'icmp', timeoutMs: 1000 });
const out = [];
for (const a of ['127.0.0.1', '::1', '127.0.0.1', '::1']) {
  out.push(await probe({ address: addr(a), spec, signal: AbortSignal.timeout(1000) }));
}
// Many at once through one socket: replies are matched by sequence number.
const many = await Promise.all(
  Array.from({ length: 200 }, () =>
    probe({ address: addr('127.0.0.1'), spec, signal: AbortSignal.timeout(2000) }),
  ),
);
// The namespace has only loopback: a documentation address is unreachable (a send error, not a timeout).
const unreachable = await probe({ address: addr('192.0.2.1'), spec, signal: AbortSignal.timeout(1000) });
// A source address: one on this host works, one that is not is a configuration result.
const sourced = await probe({
  address: addr('127.0.0.1'),
  spec: hc({ type: 'icmp', timeoutMs: 1000, sourceV4: addr('127.0.0.1') }),
  signal: AbortSignal.timeout(1000),
});
const badSource = await probe({
  address: addr('127.0.0.1'),
  spec: hc({ type: 'icmp', timeoutMs: 1000, sourceV4: addr('192.0.2.55') }),
  signal: AbortSignal.timeout(1000),
});
pool.closeAll();
const manyOk = many.filter((r) => r.ok).length;
process.stdout.write(JSON.stringify({ single: out, manyOk, unreachable, sourced, badSource }));
