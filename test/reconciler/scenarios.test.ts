// Reconciler scenarios through the real socket, as step tables: action → exact lb calls → SimLb state.
import { afterEach, describe, it } from 'vitest';
import type { DesiredModel } from '../../src/model/desired.js';
import { buildModel } from './builders.js';
import { type HealthInput, Rig, runSteps } from './socket-rig.js';

const backends = { a: '10.0.0.1', b: '10.0.0.2', c: '10.0.0.3', d: '10.0.0.4' };
function model(lb: Parameters<typeof buildModel>[2] = {}): DesiredModel {
  return buildModel(
    backends,
    [
      { name: 'web', vip: '192.0.2.1', pools: { primary: { a: 100, b: 50 }, fallback: { c: 100 } } },
      { name: 'dns', vip: '192.0.2.2', port: 53, protocol: 17, pools: { p: { d: 100 } } },
    ],
    lb,
  );
}
const allUp: HealthInput = { a: 'up', b: 'up', c: 'up', d: 'up' };
const WEB = '192.0.2.1/32 tcp:80';
const DNS = '192.0.2.2/32 udp:53';
const CONF = 'conf 192.0.2.254 2001:db8::fe 65536 40';
const DUMP = ['dump-vips', 'dump-ases'];

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.stop();
  rig = undefined;
});

describe('reconciler through the socket', () => {
  it('fresh start: lb conf, then every VIP in numeric order; a sync in sync changes nothing', async () => {
    rig = await Rig.start(model(), allUp);
    await runSteps(rig, [
      {
        what: 'connect',
        calls: [
          ...DUMP,
          'conf-get',
          CONF,
          `vip-add ${WEB} gre4 1024`,
          `as-add ${WEB} 10.0.0.1 100`,
          `as-add ${WEB} 10.0.0.2 50`,
          `as-add ${WEB} 10.0.0.3 0`,
          `vip-add ${DNS} gre4 1024`,
          `as-add ${DNS} 10.0.0.4 100`,
        ],
        live: [`${WEB} gre4 1024: 10.0.0.1=100 10.0.0.2=50 10.0.0.3=0`, `${DNS} gre4 1024: 10.0.0.4=100`],
      },
      { what: 'maglevctl sync', act: (x) => x.r.requestSync('sync'), calls: DUMP },
      { what: 'identical reload', act: (x) => x.config(model()), calls: DUMP },
    ]);
  });
});
