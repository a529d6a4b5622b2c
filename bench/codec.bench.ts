// Codec throughput of the generated bindings: encodes/s and decodes/s of lb and memclnt messages on one core.

import type { LbAddDelAsV2Input, LbAsV2Details } from 'vpp-binapi-ts/lb';
import { LbAddDelAsV2Def, LbAsV2DetailsDef } from 'vpp-binapi-ts/lb';
import type { SockclntCreateReply } from 'vpp-binapi-ts/memclnt';
import { SockclntCreateReplyDef } from 'vpp-binapi-ts/memclnt';
import { measure, opsPerSecond, printTable } from './harness.js';

const RUNS = 7;

const addAs: LbAddDelAsV2Input = {
  client_index: 0x80000001,
  context: 7,
  pfx: { address: { af: 0, un: new Uint8Array([192, 0, 2, 1, ...new Array(12).fill(0)]) }, len: 32 },
  protocol: 6,
  port: 80,
  as_address: { af: 0, un: new Uint8Array([10, 0, 0, 2, ...new Array(12).fill(0)]) },
  weight: 50,
  is_del: false,
  is_flush: false,
};

const details: LbAsV2Details = LbAsV2DetailsDef.decode(
  LbAsV2DetailsDef.encode(110, {
    context: 10,
    vip: { pfx: addAs.pfx, protocol: 6, port: 443 },
    app_srv: addAs.as_address,
    flags: 1,
    in_use_since: 0,
    weight: 70,
    num_buckets: 592,
  }),
);

const table: SockclntCreateReply = {
  client_index: 0,
  context: 124,
  response: 0,
  index: 0x80000001,
  count: 850,
  message_table: Array.from({ length: 850 }, (_, i) => ({
    index: i + 1,
    name: `some_fairly_typical_message_name_${i}_deadbeef`,
  })),
};

let sink = 0;

/** run measures each codec operation over RUNS runs and prints the table. */
export async function run(): Promise<void> {
  const addAsBytes = LbAddDelAsV2Def.encode(0x1234, addAs);
  const detailsBytes = LbAsV2DetailsDef.encode(110, details);
  const tableBytes = SockclntCreateReplyDef.encode(16, table);
  const rows = [
    await measure('lb_add_del_as_v2 encode', 'ops/s', RUNS, () =>
      opsPerSecond(1_000_000, (i) => {
        sink += LbAddDelAsV2Def.encode(i & 0xffff, addAs).length;
      }),
    ),
    await measure('lb_add_del_as_v2 decode', 'ops/s', RUNS, () =>
      opsPerSecond(1_000_000, () => {
        sink += LbAddDelAsV2Def.decode(addAsBytes).weight;
      }),
    ),
    await measure('lb_as_v2_details encode', 'ops/s', RUNS, () =>
      opsPerSecond(1_000_000, (i) => {
        sink += LbAsV2DetailsDef.encode(i & 0xffff, details).length;
      }),
    ),
    await measure('lb_as_v2_details decode', 'ops/s', RUNS, () =>
      opsPerSecond(1_000_000, () => {
        sink += LbAsV2DetailsDef.decode(detailsBytes).num_buckets;
      }),
    ),
    await measure('sockclnt_create_reply (850) encode', 'ops/s', RUNS, () =>
      opsPerSecond(2_000, () => {
        sink += SockclntCreateReplyDef.encode(16, table).length;
      }),
    ),
    await measure('sockclnt_create_reply (850) decode', 'ops/s', RUNS, () =>
      opsPerSecond(2_000, () => {
        sink += SockclntCreateReplyDef.decode(tableBytes).count;
      }),
    ),
  ];
  printTable('codec', rows);
  if (sink === 42) console.log('');
}
