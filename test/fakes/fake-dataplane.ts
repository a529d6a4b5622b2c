// An in-memory LbDataplane (seesaw's dummy dataplane): records calls, refuses like VPP, injects faults.
import type { LbDataplane } from '../../src/dataplane/lb-dataplane.js';
import { type IpAddress, parseAddress } from '../../src/model/address.js';
import type { Encap } from '../../src/model/desired.js';
import type { LbAsState, LbConf, LbLiveState, LbVipState } from '../../src/model/lb-state.js';
import { type VipKey, vipKeyString } from '../../src/model/vip-key.js';
import { MaglevError } from '../../src/util/errors.js';

/** RetvalError is a refusal as the real adapter reports one: ERR_VPP_RETVAL with the retval and its name. */
export class RetvalError extends MaglevError {
  readonly retval: number;
  readonly retvalName: string;
  constructor(call: string, retval: number, retvalName: string) {
    super('ERR_VPP_RETVAL', `${call}: VPP returned ${retval} (${retvalName})`);
    this.retval = retval;
    this.retvalName = retvalName;
  }
}

interface FakeVip {
  key: VipKey;
  encap: Encap;
  sticky: boolean;
  tableLength: number;
  ases: Map<string, LbAsState>;
}

export type Fault = 'timeout' | 'disconnected' | 'hang';

export class FakeDataplane implements LbDataplane {
  readonly vips = new Map<string, FakeVip>();
  readonly calls: string[] = [];
  dumps = 0;
  /** Calls refused once with this retval, keyed by the call line prefix (e.g. "vip-add 192.0.2.1/32 tcp:80"). */
  readonly refuse = new Map<string, [number, string]>();
  conf: LbConf = {
    ipv4SrcAddress: parseAddress('255.255.255.255'),
    ipv6SrcAddress: parseAddress('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'),
    stickyBucketsPerCore: 1024,
    flowTimeoutS: 40,
  };
  /** Faults to inject, consumed one per call (of any kind). */
  readonly faults: Fault[] = [];
  /** Every call fails with this while set. */
  down: Fault | undefined;

  async #enter(call: string): Promise<void> {
    const f = this.down ?? this.faults.shift();
    if (f === 'hang') await new Promise(() => {});
    if (f === 'timeout') throw new MaglevError('ERR_VPP_TIMEOUT', `${call}: no reply within 1000 ms`);
    if (f === 'disconnected') throw new MaglevError('ERR_VPP_DISCONNECTED', `${call}: VPP disconnected`);
  }

  #refused(line: string): void {
    for (const [prefix, [retval, name]] of this.refuse) {
      if (line.startsWith(prefix)) {
        this.refuse.delete(prefix);
        throw new RetvalError(line, retval, name);
      }
    }
  }

  #vip(call: string, key: VipKey): FakeVip {
    const v = this.vips.get(vipKeyString(key));
    if (!v) throw new RetvalError(call, -6, 'NO_SUCH_ENTRY');
    return v;
  }

  async dump(): Promise<LbLiveState> {
    await this.#enter('dump');
    this.dumps++;
    const vips = new Map<string, LbVipState>();
    for (const [k, v] of this.vips) {
      vips.set(k, {
        key: v.key,
        encap: v.encap,
        srcIpSticky: undefined,
        tableLength: v.tableLength,
        ases: new Map(v.ases),
      });
    }
    return { vips };
  }

  async addVip(vip: VipKey, encap: Encap, srcIpSticky: boolean, tableLength: number): Promise<void> {
    await this.#enter('vip-add');
    this.calls.push(`vip-add ${vipKeyString(vip)} ${encap}${srcIpSticky ? ' sticky' : ''} ${tableLength}`);
    this.#refused(this.calls[this.calls.length - 1] as string);
    const k = vipKeyString(vip);
    if (this.vips.has(k)) throw new RetvalError('lb_add_del_vip_v2', -81, 'VALUE_EXIST');
    this.vips.set(k, { key: vip, encap, sticky: srcIpSticky, tableLength, ases: new Map() });
  }

  async delVip(vip: VipKey): Promise<void> {
    await this.#enter('vip-del');
    this.calls.push(`vip-del ${vipKeyString(vip)}`);
    this.#refused(this.calls[this.calls.length - 1] as string);
    this.#vip('lb_add_del_vip_v2', vip);
    this.vips.delete(vipKeyString(vip));
  }

  async addAs(vip: VipKey, address: IpAddress, weight: number): Promise<void> {
    await this.#enter('as-add');
    this.calls.push(`as-add ${vipKeyString(vip)} ${address.text} ${weight}`);
    this.#refused(this.calls[this.calls.length - 1] as string);
    const v = this.#vip('lb_add_del_as_v2', vip);
    if (v.ases.has(address.text)) throw new RetvalError('lb_add_del_as_v2', -81, 'VALUE_EXIST');
    v.ases.set(address.text, { address, weight, numBuckets: undefined });
  }

  async delAs(vip: VipKey, address: IpAddress, flush: boolean): Promise<void> {
    await this.#enter('as-del');
    this.calls.push(`as-del ${vipKeyString(vip)} ${address.text}${flush ? ' flush' : ''}`);
    this.#refused(this.calls[this.calls.length - 1] as string);
    const v = this.#vip('lb_add_del_as_v2', vip);
    if (!v.ases.delete(address.text)) throw new RetvalError('lb_add_del_as_v2', -6, 'NO_SUCH_ENTRY');
  }

  async setAsWeight(vip: VipKey, address: IpAddress, weight: number, flush: boolean): Promise<void> {
    await this.#enter('as-weight');
    this.calls.push(`as-weight ${vipKeyString(vip)} ${address.text} ${weight}${flush ? ' flush' : ''}`);
    this.#refused(this.calls[this.calls.length - 1] as string);
    const v = this.#vip('lb_as_set_weight', vip);
    if (!v.ases.has(address.text)) throw new RetvalError('lb_as_set_weight', -6, 'NO_SUCH_ENTRY');
    v.ases.set(address.text, { address, weight, numBuckets: undefined });
  }

  async getConf(): Promise<LbConf> {
    await this.#enter('conf-get');
    return this.conf;
  }

  async setConf(conf: LbConf): Promise<void> {
    await this.#enter('conf');
    this.calls.push(
      `conf ${conf.ipv4SrcAddress.text} ${conf.ipv6SrcAddress.text} ${conf.stickyBucketsPerCore} ${conf.flowTimeoutS}`,
    );
    this.#refused(this.calls[this.calls.length - 1] as string);
    this.conf = conf;
  }

  /** weights: `vip as=weight` lines of the live state, sorted, for compact assertions. */
  state(): string[] {
    const out: string[] = [];
    for (const [k, v] of this.vips) {
      out.push(
        `${k}: ${[...v.ases.values()]
          .map((a) => `${a.address.text}=${a.weight}`)
          .sort()
          .join(' ')}`,
      );
    }
    return out.sort();
  }
}
