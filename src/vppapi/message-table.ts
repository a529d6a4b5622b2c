// The message-ID table of one VPP connection, from sockclnt_create_reply: IDs by name_crc and the reverse.
import type { MessageDef } from 'vpp-binapi-ts/runtime';
import type { IncompatibleMessage } from './errors.js';

/** One entry of sockclnt_create_reply's table: a runtime ID and its `name_crc8hex` key. */
export interface MessageTableEntry {
  readonly index: number;
  readonly name: string;
}

/** splitNameCrc turns `lb_conf_56cd3261` into `['lb_conf', '0x56cd3261']` (undefined when it has no CRC suffix). */
export function splitNameCrc(nameCrc: string): [string, string] | undefined {
  const m = /^(.+)_([0-9a-f]{8})$/.exec(nameCrc);
  return m ? [m[1] as string, `0x${m[2] as string}`] : undefined;
}

/**
 * MessageTable maps this VPP's runtime message IDs both ways. IDs differ between VPP builds, plugin sets
 * and restarts (only memclnt's are fixed), so a table lives exactly as long as one connection.
 */
export class MessageTable {
  private readonly idByNameCrc = new Map<string, number>();
  private readonly nameCrcById = new Map<number, string>();
  /** The CRC VPP has for each message name, to tell "changed" from "missing". */
  private readonly crcByName = new Map<string, string>();

  constructor(entries: Iterable<MessageTableEntry>) {
    for (const e of entries) {
      this.idByNameCrc.set(e.name, e.index);
      this.nameCrcById.set(e.index, e.name);
      const split = splitNameCrc(e.name);
      if (split) this.crcByName.set(split[0], split[1]);
    }
  }

  /** How many messages VPP offers. */
  get size(): number {
    return this.idByNameCrc.size;
  }

  /** idOf is the runtime ID of a message with exactly this name and CRC, or undefined. */
  idOf(def: Pick<MessageDef, 'nameCrc'>): number | undefined {
    return this.idByNameCrc.get(def.nameCrc);
  }

  /** nameCrcOf is the `name_crc` key VPP uses for an ID, or undefined for an ID it never announced. */
  nameCrcOf(id: number): string | undefined {
    return this.nameCrcById.get(id);
  }

  /** check returns every message among `defs` that VPP lacks or has with another CRC, in the given order. */
  check(defs: Iterable<Pick<MessageDef, 'name' | 'crc' | 'nameCrc'>>): IncompatibleMessage[] {
    const out: IncompatibleMessage[] = [];
    const seen = new Set<string>();
    for (const d of defs) {
      if (seen.has(d.nameCrc)) continue;
      seen.add(d.nameCrc);
      if (this.idByNameCrc.has(d.nameCrc)) continue;
      out.push({ name: d.name, expectedCrc: d.crc, foundCrc: this.crcByName.get(d.name) });
    }
    return out;
  }
}
