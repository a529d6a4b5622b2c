// Stage 2 of validation (spec §3): references, address families, VIP conflicts VPP would refuse, timing rules.
import type { z } from 'zod';
import {
  type AddressFamily,
  type IpAddress,
  type IpPrefix,
  parseAddress,
  parsePrefix,
} from '../model/address.js';
import { makeVipKey, type ProtocolName, protocolNumber, vipKeyString } from '../model/vip-key.js';
import { parseDuration } from './duration.js';
import type { ConfigIssue, KeyPath } from './issues.js';
import { pathText } from './issues.js';
import type { SourcePositions } from './positions.js';
import {
  BackendSchema,
  CheckCommonShape,
  FrontendSchema,
  LbSchema,
  PoolSchema,
  type RawMaglev,
} from './schema.js';
import { suggest } from './suggest.js';

/*
 * Stage 2 reads the YAML data leniently, field by field: a field that failed stage 1 is simply unknown
 * here, and rules that need it are skipped. So one run reports the schema errors and the semantic errors
 * of everything else, without cascades (a reference to an entry with errors of its own still resolves).
 */

interface CheckView {
  readonly timeout: string | undefined;
  readonly timeoutGiven: boolean;
  readonly intervals: readonly { key: string; value: string | undefined }[];
}
interface BackendView {
  readonly healthcheck: string | undefined;
  readonly address: IpAddress | undefined;
}
interface PoolView {
  readonly name: string | undefined;
  /** Member backend names in document order; undefined if `backends` is not a map. */
  readonly members: readonly string[] | undefined;
}
interface FrontendView {
  readonly prefix: IpPrefix | undefined;
  readonly protocol: ProtocolName | undefined;
  /** The port as written if it is a number; `portGiven` says whether the key is there at all. */
  readonly port: number | undefined;
  readonly portGiven: boolean;
  /** False when the port failed stage 1. */
  readonly portValid: boolean;
  readonly pools: readonly PoolView[] | undefined;
}
interface LbView {
  readonly startupMin: string | undefined;
  readonly startupMax: string | undefined;
  readonly startupMaxGiven: boolean;
  readonly hasV4: boolean;
  readonly hasV6: boolean;
}

/** ConfigView is what stage 2 knows of a config: every name present in the file, and the fields that parse. */
export interface ConfigView {
  readonly healthchecks: ReadonlyMap<string, CheckView>;
  readonly backends: ReadonlyMap<string, BackendView>;
  readonly frontends: ReadonlyMap<string, FrontendView>;
  readonly lb: LbView | undefined;
}

function isMapLike(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** field parses one key with its stage-1 schema (defaults included); undefined if it does not parse. */
function field<T extends z.ZodType>(
  schema: T,
  obj: Record<string, unknown>,
  key: string,
): z.output<T> | undefined {
  const r = schema.safeParse(obj[key]);
  return r.success ? r.data : undefined;
}

type Getter = <T extends z.ZodType>(schema: T, key: string) => z.output<T> | undefined;

/**
 * getter reads fields of one entry: from stage 1's output when the whole file passed it (validated and
 * defaulted already, so no second parse), otherwise by parsing each field on its own.
 */
function getter(rawObj: Record<string, unknown>, valid: unknown): Getter {
  if (isMapLike(valid)) return <T extends z.ZodType>(_schema: T, key: string) => valid[key] as z.output<T>;
  return (schema, key) => field(schema, rawObj, key);
}

function orderedKeys(obj: Record<string, unknown>, doc: readonly string[] | undefined): string[] {
  const own = Object.keys(obj);
  if (doc === undefined) return own;
  const present = new Set(own);
  return [...new Set([...doc.filter((k) => present.has(k)), ...own])];
}

/**
 * buildView reads the parts of the YAML data that stage 2 needs, in document order. `valid` is stage 1's
 * output when the whole file passed stage 1.
 */
export function buildView(
  raw: unknown,
  positions: SourcePositions,
  valid?: RawMaglev,
): ConfigView | undefined {
  if (!isMapLike(raw) || !isMapLike(raw.maglev)) return undefined;
  const m = raw.maglev;
  const validAt = (section: 'healthchecks' | 'backends' | 'frontends', name: string): unknown =>
    valid?.[section][name];
  const entries = (key: string): [string, Record<string, unknown> | undefined][] => {
    const obj = m[key];
    if (!isMapLike(obj)) return [];
    return orderedKeys(obj, positions.keyOrder(['maglev', key])).map((k) => {
      const v = obj[k];
      return [k, isMapLike(v) ? v : undefined];
    });
  };

  const healthchecks = new Map<string, CheckView>();
  for (const [name, hc] of entries('healthchecks')) {
    const o = hc ?? {};
    const get = getter(o, validAt('healthchecks', name));
    healthchecks.set(name, {
      timeout: get(CheckCommonShape.timeout, 'timeout'),
      timeoutGiven: o.timeout !== undefined,
      intervals: (['interval', 'fast-interval', 'down-interval'] as const).map((key) => ({
        key,
        value: get(CheckCommonShape[key], key),
      })),
    });
  }

  const backends = new Map<string, BackendView>();
  for (const [name, be] of entries('backends')) {
    const o = be ?? {};
    const get = getter(o, validAt('backends', name));
    const a = get(BackendSchema.shape.address, 'address');
    backends.set(name, {
      healthcheck: get(BackendSchema.shape.healthcheck, 'healthcheck'),
      address: a === undefined ? undefined : parseAddress(a),
    });
  }

  const frontends = new Map<string, FrontendView>();
  for (const [name, fe] of entries('frontends')) {
    const o = fe ?? {};
    const get = getter(o, validAt('frontends', name));
    const p = get(FrontendSchema.shape.address, 'address');
    const rawPools = o.pools;
    const pools = Array.isArray(rawPools)
      ? rawPools.map((pool: unknown, i): PoolView => {
          const po = isMapLike(pool) ? pool : {};
          const b = po.backends;
          return {
            name: field(PoolSchema.shape.name, po, 'name'),
            members: isMapLike(b)
              ? orderedKeys(b, positions.keyOrder(['maglev', 'frontends', name, 'pools', i, 'backends']))
              : undefined,
          };
        })
      : undefined;
    frontends.set(name, {
      prefix: p === undefined ? undefined : parsePrefix(p),
      protocol: get(FrontendSchema.shape.protocol, 'protocol'),
      port: typeof o.port === 'number' ? o.port : undefined,
      portGiven: o.port !== undefined,
      portValid: o.port === undefined || get(FrontendSchema.shape.port, 'port') !== undefined,
      pools,
    });
  }

  let lb: LbView | undefined;
  const vpp = m.vpp === undefined ? {} : m.vpp;
  if (isMapLike(vpp)) {
    const l = vpp.lb === undefined ? {} : vpp.lb;
    if (isMapLike(l)) {
      const get = getter(l, valid?.vpp.lb);
      lb = {
        startupMin: get(LbSchema.shape['startup-min-delay'], 'startup-min-delay'),
        startupMax: get(LbSchema.shape['startup-max-delay'], 'startup-max-delay'),
        startupMaxGiven: l['startup-max-delay'] !== undefined,
        hasV4: l['ipv4-src-address'] !== undefined,
        hasV6: l['ipv6-src-address'] !== undefined,
      };
    }
  }
  return { healthchecks, backends, frontends, lb };
}

const familyName = (f: AddressFamily) => (f === 4 ? 'IPv4' : 'IPv6');
const encapName = (f: AddressFamily) => (f === 4 ? 'gre4' : 'gre6');
const ms = (d: string) => parseDuration(d) as number;

/**
 * known lists the defined names for "no X named" messages, led by a likely intended one; long lists are
 * cut so the line stays readable.
 */
function known(what: string, names: Iterable<string>, wanted: string, budget: { left: number }): string {
  const all = [...names];
  if (all.length === 0) return `no ${what} are defined`;
  // Each guess compares against every name: a budget keeps a file full of bad references cheap.
  const guess = budget.left-- > 0 ? suggest(wanted, all) : undefined;
  if (guess !== undefined) return `did you mean "${guess}"? ${what} are: ${listNames(all)}`;
  return `${what} are: ${listNames(all)}`;
}

function listNames(all: readonly string[]): string {
  const shown = all.slice(0, 10).join(', ');
  return all.length > 10 ? `${shown}, ... (${all.length} in all)` : shown;
}

/** checkSemantics returns every stage-2 problem; an empty list means the config is valid (given stage 1). */
export function checkSemantics(cfg: ConfigView, file: string, positions: SourcePositions): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const add = (path: KeyPath, at: 'key' | 'value', message: string) => {
    const full: KeyPath = ['maglev', ...path];
    const pos = positions.locate(full, at);
    issues.push({ file, line: pos.line, col: pos.col, path: pathText(full), message });
  };
  const budget = { left: 50 };

  // Healthchecks: a probe must end before the next one is due.
  for (const [name, hc] of cfg.healthchecks) {
    if (hc.timeout === undefined) continue;
    const timeout = ms(hc.timeout);
    const interval = hc.intervals[0]?.value;
    for (const { key, value } of hc.intervals) {
      // fast-interval and down-interval default to interval: judged once, on interval itself.
      if (value === undefined || ms(value) > timeout) continue;
      if (key !== 'interval' && value === interval) continue;
      if (hc.timeoutGiven) {
        add(
          ['healthchecks', name, 'timeout'],
          'value',
          `timeout ${hc.timeout} must be shorter than ${key} ${value}`,
        );
      } else {
        add(
          ['healthchecks', name, key],
          'value',
          `${key} ${value} is not longer than the default timeout ${hc.timeout}: set a shorter timeout`,
        );
      }
    }
  }

  // Backends: the healthcheck must exist.
  for (const [name, be] of cfg.backends) {
    if (be.healthcheck !== undefined && !cfg.healthchecks.has(be.healthcheck)) {
      add(
        ['backends', name, 'healthcheck'],
        'value',
        `no healthcheck named "${be.healthcheck}" (${known('healthchecks', cfg.healthchecks.keys(), be.healthcheck, budget)})`,
      );
    }
  }

  // Warmup: the release deadline cannot come before the hands-off window ends.
  const lb = cfg.lb;
  if (lb?.startupMin !== undefined && lb.startupMax !== undefined && ms(lb.startupMax) < ms(lb.startupMin)) {
    add(
      ['vpp', 'lb', lb.startupMaxGiven ? 'startup-max-delay' : 'startup-min-delay'],
      'value',
      `startup-max-delay ${lb.startupMax} is shorter than startup-min-delay ${lb.startupMin}`,
    );
  }

  interface VipInfo {
    name: string;
    prefix: IpPrefix;
    allPort: boolean;
    keyText: string;
    family: AddressFamily | undefined;
  }
  const vips: VipInfo[] = [];
  const needFamily = new Map<AddressFamily, string>();
  for (const [fname, fe] of cfg.frontends) {
    const base: KeyPath = ['frontends', fname];
    let portOk = fe.portValid && fe.protocol !== undefined;
    if (fe.protocol === 'any' && fe.portGiven) {
      add(
        [...base, 'port'],
        'value',
        'protocol any makes an all-port VIP: remove port, or set protocol tcp or udp',
      );
      portOk = false;
    } else if (fe.protocol !== undefined && fe.protocol !== 'any' && !fe.portGiven) {
      add(
        [...base, 'port'],
        'key',
        `missing required key "port": protocol ${fe.protocol} needs a port (protocol any makes an all-port VIP)`,
      );
      portOk = false;
    }

    const family = checkPools(fname, fe, cfg, add, budget);
    if (family !== undefined && !needFamily.has(family)) needFamily.set(family, fname);
    if (!portOk || fe.prefix === undefined || fe.protocol === undefined) continue;
    const key = makeVipKey(fe.prefix, protocolNumber(fe.protocol), fe.port ?? 0);
    vips.push({
      name: fname,
      prefix: fe.prefix,
      allPort: key.port === 0,
      keyText: vipKeyString(key),
      family,
    });
  }

  // Across frontends: what VPP refuses when two VIPs meet (vpp src/plugins/lb/lb.c, lb_vip_add's checks).
  const byKey = new Map<string, string>();
  const byPrefix = new Map<string, VipInfo[]>();
  for (const v of vips) {
    const addrPath: KeyPath = ['frontends', v.name, 'address'];
    const dup = byKey.get(v.keyText);
    if (dup !== undefined) {
      add(addrPath, 'value', `frontend "${v.name}" has the same VIP as frontend "${dup}" (${v.keyText})`);
      continue;
    }
    byKey.set(v.keyText, v.name);
    const group = byPrefix.get(v.prefix.text) ?? [];
    const first = group[0];
    if (first !== undefined && first.allPort !== v.allPort) {
      const all = first.allPort ? first : v;
      const port = first.allPort ? v : first;
      add(
        addrPath,
        'value',
        `frontend "${all.name}" is an all-port VIP on ${v.prefix.text} and frontend "${port.name}" a per-port VIP on the same prefix: VPP refuses that (-81)`,
      );
      continue;
    }
    const other = group.find(
      (g) => g.family !== undefined && v.family !== undefined && g.family !== v.family,
    );
    if (other?.family !== undefined && v.family !== undefined) {
      add(
        addrPath,
        'value',
        `frontend "${v.name}" has ${familyName(v.family)} backends (${encapName(v.family)}) but frontend "${other.name}" on the same prefix ${v.prefix.text} has ${familyName(other.family)} backends (${encapName(other.family)}): VPP needs one encap per prefix (-73)`,
      );
      continue;
    }
    group.push(v);
    byPrefix.set(v.prefix.text, group);
  }

  // GRE encap sources: required for every family some frontend's backends use.
  if (lb !== undefined) {
    for (const [fam, fname] of needFamily) {
      if (fam === 4 ? lb.hasV4 : lb.hasV6) continue;
      const key = fam === 4 ? 'ipv4-src-address' : 'ipv6-src-address';
      add(
        ['vpp', 'lb', key],
        'key',
        `missing required key "${key}": frontend "${fname}" has ${familyName(fam)} backends, and ${encapName(fam).toUpperCase()} encap needs a source address`,
      );
    }
  }
  return issues;
}

/** checkPools applies the per-frontend pool rules and returns the frontend's backend family, if known. */
function checkPools(
  fname: string,
  fe: FrontendView,
  cfg: ConfigView,
  add: (path: KeyPath, at: 'key' | 'value', message: string) => void,
  budget: { left: number },
): AddressFamily | undefined {
  const base: KeyPath = ['frontends', fname];
  if (fe.pools === undefined) return undefined;
  if (fe.pools.length === 0) add([...base, 'pools'], 'value', 'a frontend needs at least one pool');
  const poolByName = new Map<string, number>();
  const memberPool = new Map<string, string>();
  const addressOwner = new Map<string, string>();
  let family: AddressFamily | undefined;
  let familyFrom: string | undefined;
  fe.pools.forEach((pool, i) => {
    const pbase: KeyPath = [...base, 'pools', i];
    const label = pool.name ?? `pools[${i}]`;
    if (pool.name !== undefined) {
      const seen = poolByName.get(pool.name);
      if (seen !== undefined)
        add([...pbase, 'name'], 'value', `duplicate pool name "${pool.name}" (also pools[${seen}])`);
      else poolByName.set(pool.name, i);
    }
    if (pool.members === undefined) return;
    if (pool.members.length === 0) add([...pbase, 'backends'], 'value', `pool "${label}" has no backends`);
    for (const bname of pool.members) {
      const mpath: KeyPath = [...pbase, 'backends', bname];
      const be = cfg.backends.get(bname);
      if (be === undefined) {
        add(
          mpath,
          'key',
          `no backend named "${bname}" (${known('backends', cfg.backends.keys(), bname, budget)})`,
        );
        continue;
      }
      const other = memberPool.get(bname);
      if (other !== undefined) {
        add(
          mpath,
          'key',
          `backend "${bname}" is already in pool "${other}" of this frontend (a backend has one weight per VIP)`,
        );
        continue;
      }
      memberPool.set(bname, label);
      const addr = be.address;
      if (addr === undefined) continue; // the backend has errors of its own
      const owner = addressOwner.get(addr.text);
      if (owner !== undefined) {
        add(
          mpath,
          'key',
          `backend "${bname}" has the same address ${addr.text} as backend "${owner}" of this frontend (VPP has one AS per address on a VIP)`,
        );
        continue;
      }
      addressOwner.set(addr.text, bname);
      if (family === undefined) {
        family = addr.family;
        familyFrom = bname;
      } else if (addr.family !== family) {
        add(
          mpath,
          'key',
          `backend "${bname}" is ${familyName(addr.family)} (${addr.text}) but backend "${familyFrom}" is ${familyName(family)}: all backends of a frontend must be one address family (one encap per VIP)`,
        );
      }
    }
  });
  return family;
}
