// control_ping round trips per second through the VPP client against the sim VPP server (own process) over a unix socket.
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ControlPingDef } from 'vpp-binapi-ts/memclnt';
import { VppClient } from '../src/vppapi/client.js';
import { measure, printTable } from './harness.js';

const RUNS = 5;

async function roundTrips(client: VppClient, inFlight: number, total: number): Promise<number> {
  let left = total;
  const worker = async () => {
    while (left > 0) {
      left--;
      await client.request(ControlPingDef, {});
    }
  };
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: inFlight }, worker));
  const ns = Number(process.hrtime.bigint() - t0);
  return (total * 1e9) / ns;
}

/** run measures lock-step (1 in flight) against pipelined (16, 256 in flight) round trips. */
export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'vppapi-bench-'));
  const path = join(dir, 'api.sock');
  const server = fork(fileURLToPath(new URL('./vppapi-server.worker.ts', import.meta.url)), [path], {
    execArgv: ['--import', 'tsx', '--conditions=source'],
  });
  await new Promise((resolve) => server.once('message', resolve));
  const client = new VppClient({ socketPath: path, livenessIntervalMs: 0 });
  client.start();
  await client.waitUntilConnected(5_000);
  try {
    const rows = [];
    for (const [inFlight, total] of [
      [1, 5_000],
      [16, 40_000],
      [256, 100_000],
    ] as const) {
      rows.push(
        await measure(`control_ping, ${inFlight} in flight`, 'round trips/s', RUNS, () =>
          roundTrips(client, inFlight, total),
        ),
      );
    }
    printTable('vppapi', rows);
  } finally {
    await client.close();
    server.send('close');
    await new Promise((resolve) => server.once('exit', resolve));
    rmSync(dir, { recursive: true, force: true });
  }
}
