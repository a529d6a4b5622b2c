// Loads the real-VPP captures in test/fixtures: messages as bytes, and the message table in VPP's wire order.
import { readFileSync } from 'node:fs';
import { messagesByNameCrc } from 'vpp-binapi-ts';
import type { MessageDef } from 'vpp-binapi-ts/runtime';

/** One captured message. */
export interface CapturedMessage {
  readonly dir: 'client_to_vpp' | 'vpp_to_client';
  readonly name: string | null;
  readonly nameCrc: string | null;
  readonly msgId: number;
  readonly header: Buffer;
  readonly payload: Buffer;
  /** Undefined for IDs VPP does not know (raw_probe sends one on purpose). */
  readonly def: MessageDef | undefined;
  /** vpp_papi's decoding, as recorded. */
  readonly decoded: Record<string, unknown>;
}

export interface Capture {
  readonly messages: readonly CapturedMessage[];
  /** The table as sockclnt_create_reply carried it: [id, name_crc] in VPP's (hash) order. */
  readonly table: ReadonlyArray<readonly [number, string]>;
  readonly clientToVpp: Buffer;
  readonly vppToClient: Buffer;
}

interface RawCapture {
  messages_in_order: Array<{
    dir: 'client_to_vpp' | 'vpp_to_client';
    name: string | null;
    name_crc: string | null;
    msg_id: number;
    header_hex: string;
    payload_hex: string;
    decoded: Record<string, unknown>;
  }>;
  raw: { client_to_vpp_hex: string; vpp_to_client_hex: string };
}

/** defOf is a captured message's definition; throws for the unknown IDs only raw_probe has. */
export function defOf(m: CapturedMessage): MessageDef {
  if (!m.def) throw new Error(`message id ${m.msgId} has no definition`);
  return m.def;
}

/** loadCapture reads `lb_session.json` or `raw_probe.json`. */
export function loadCapture(file: 'lb_session.json' | 'raw_probe.json'): Capture {
  const raw = JSON.parse(readFileSync(new URL(`../fixtures/${file}`, import.meta.url), 'utf8')) as RawCapture;
  const messages = raw.messages_in_order.map((m) => {
    const def = m.name_crc ? messagesByNameCrc.get(m.name_crc) : undefined;
    if (m.name_crc && !def) throw new Error(`${file}: ${m.name_crc} has no generated definition`);
    return {
      dir: m.dir,
      name: m.name,
      nameCrc: m.name_crc,
      msgId: m.msg_id,
      header: Buffer.from(m.header_hex, 'hex'),
      payload: Buffer.from(m.payload_hex, 'hex'),
      def,
      decoded: m.decoded,
    };
  });
  const create = messages.find((m) => m.name === 'sockclnt_create_reply');
  if (!create) throw new Error(`${file}: no sockclnt_create_reply`);
  const count = create.payload.readUInt16BE(18);
  const table: Array<[number, string]> = [];
  for (let i = 0; i < count; i++) {
    const at = 20 + 66 * i;
    const name = create.payload.subarray(at + 2, at + 66);
    const end = name.indexOf(0);
    table.push([create.payload.readUInt16BE(at), name.subarray(0, end < 0 ? 64 : end).toString('latin1')]);
  }
  return {
    messages,
    table,
    clientToVpp: Buffer.from(raw.raw.client_to_vpp_hex, 'hex'),
    vppToClient: Buffer.from(raw.raw.vpp_to_client_hex, 'hex'),
  };
}
