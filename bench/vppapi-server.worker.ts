// The bench's VPP: the sim server in its own process, as a real VPP is, started by vppapi.bench.ts.
import { VppServer } from '../src/sim/vpp-server.js';

const path = process.argv[2];
if (!path) throw new Error('usage: vppapi-server.worker.ts <socket path>');
const server = new VppServer({ path });
await server.listen();
process.send?.('listening');
process.on('message', async (m) => {
  if (m === 'close') {
    await server.close();
    process.exit(0);
  }
});
