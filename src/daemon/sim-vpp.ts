// `--vpp-api sim`: the built-in lb simulator behind a real binary-API socket, so the daemon runs unchanged.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ShowVersionDef, ShowVersionReplyDef } from 'vpp-binapi-ts/vpe';
import type { Logger } from '../log/logger.js';
import { SimLb } from '../sim/sim-lb.js';
import { createSimLbHandler } from '../sim/sim-lb-handler.js';
import { type VppMessageHandler, VppServer } from '../sim/vpp-server.js';
import { MAGLEVD_VERSION } from '../util/version.js';

/** SimVpp owns the simulator and the socket it answers on (in a private temporary directory). */
export interface SimVpp {
  readonly path: string;
  readonly lb: SimLb;
  close(): Promise<void>;
}

/** startSimVpp listens on a fresh socket path; the daemon's VPP client connects there as to a real VPP. */
export async function startSimVpp(logger: Logger): Promise<SimVpp> {
  const dir = await mkdtemp(join(tmpdir(), 'maglevd-sim-'));
  const path = join(dir, 'api.sock');
  const lb = new SimLb();
  const lbHandler = createSimLbHandler(lb);
  const handler: VppMessageHandler = (req) =>
    req.def.nameCrc === ShowVersionDef.nameCrc
      ? [
          {
            def: ShowVersionReplyDef,
            value: {
              retval: 0,
              program: 'maglevd-sim',
              version: MAGLEVD_VERSION,
              build_date: '',
              build_directory: '',
            },
          },
        ]
      : lbHandler(req);
  const server = new VppServer({ path, handler, logger: logger.child({ component: 'sim' }) });
  await server.listen();
  return {
    path,
    lb,
    async close() {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
