// The reconciler bench's VPP: the sim VPP server with SimLb behind it, in its own process as VPP is.
import { SimLb } from '../src/sim/sim-lb.js';
import { createSimLbHandler } from '../src/sim/sim-lb-handler.js';
import { VppServer } from '../src/sim/vpp-server.js';

const path = process.argv[2];
if (!path) throw new Error('usage: reconciler-sim.worker.ts <socket path>');
const server = new VppServer({ path, handler: createSimLbHandler(new SimLb()) });
await server.listen();
process.send?.('listening');
process.on('message', async (m) => {
  if (m === 'reset') {
    // A VPP that lost its lb state: the next full sync programs everything.
    server.setHandler(createSimLbHandler(new SimLb()));
    process.send?.('reset');
  } else if (m === 'close') {
    await server.close();
    process.exit(0);
  }
});
