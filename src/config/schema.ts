// The zod schema of maglev.yaml (spec §3): shapes, types, ranges, formats and defaults; stage 1 of validation.
import { z } from 'zod';
import {
  formatAddressBytes,
  hasHostBits,
  type IpAddress,
  ip46ReadsAsIpv4,
  notUnicast,
  tryParseAddress,
  tryParsePrefix,
} from '../model/address.js';
import { DURATION_PATTERN, formatDuration, parseDuration } from './duration.js';

/** Names of healthchecks, backends, frontends and pools (spec §3). */
export const NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]*$';
/** Names end up in metric labels and log lines: keep them short enough to read. */
export const NAME_MAX_LENGTH = 64;

/** Limits shared by the schema, the docs and the tests. */
export const LIMITS = {
  intervalMs: [10, 3_600_000],
  timeoutMs: [1, 3_600_000],
  riseFall: [1, 100],
  transitionHistory: [1, 1000],
  maxConcurrentProbes: [1, 65_536],
  stateTtlMs: [0, 86_400_000],
  apiTimeoutMs: [10, 60_000],
  stickyBucketsPerCore: [1, 2 ** 28],
  flowTimeoutMs: [1000, 120_000],
  newFlowsTableLength: [1, 65_536],
  syncIntervalMs: [1000, 3_600_000],
  startupMinDelayMs: [0, 600_000],
  startupMaxDelayMs: [0, 3_600_000],
  weight: [0, 100],
  port: [1, 65_535],
  status: [100, 599],
} as const;

/** Defaults of spec §3 (and of our own choices where it is silent; see docs/config.md). */
export const DEFAULTS = {
  transitionHistory: 5,
  maxConcurrentProbes: 256,
  stateTtl: '2m',
  apiTimeout: '1s',
  stickyBucketsPerCore: 65_536,
  flowTimeout: '40s',
  newFlowsTableLength: 1024,
  syncInterval: '30s',
  startupMinDelay: '5s',
  startupMaxDelay: '30s',
  removeUnknownVips: true,
  interval: '2s',
  timeout: '1s',
  rise: 2,
  fall: 3,
  path: '/',
  expectStatus: '200-399',
  insecure: false,
  enabled: true,
  protocol: 'tcp',
  srcIpSticky: false,
  flushOnDown: true,
  weight: 100,
} as const;

const NAME_RE = new RegExp(NAME_PATTERN);

/** describeValue names a YAML value for a message: `string "yes"`, `number 80`, `a list`, `a map`, `nothing`. */
export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return `string ${JSON.stringify(v)}`;
  if (typeof v === 'number' || typeof v === 'boolean') return `${typeof v} ${String(v)}`;
  if (typeof v === 'object') return 'a map';
  return typeof v;
}

/** A type error message for a present value; undefined (missing key) falls through to the generic map. */
function typeError(expected: string) {
  return (iss: { input?: unknown; code?: string }) =>
    iss.code === 'invalid_type' && iss.input !== undefined
      ? `expected ${expected}, got ${describeValue(iss.input)}`
      : undefined;
}

const name = (what: string) =>
  z
    .string({ error: typeError(`the name of a ${what}`) })
    .max(NAME_MAX_LENGTH, { error: `a name has at most ${NAME_MAX_LENGTH} characters` })
    .regex(NAME_RE, {
      error: (iss) =>
        `${JSON.stringify(iss.input)} is not a valid name: names start with a letter or digit and contain only letters, digits, "_", "." and "-"`,
    });

function int(min: number, max: number, description: string) {
  return z
    .number({ error: typeError('a whole number') })
    .int({ error: (iss) => `expected a whole number, got ${describeValue(iss.input)}` })
    .min(min, { error: (iss) => `${String(iss.input)} is below the minimum ${min}` })
    .max(max, { error: (iss) => `${String(iss.input)} is above the maximum ${max}` })
    .meta({ description });
}

function powerOfTwo(min: number, max: number, description: string) {
  // Out-of-range values already have their own message: judge only those in range.
  return int(min, max, description).refine((n) => n < min || n > max || (n & (n - 1)) === 0, {
    error: (iss) => `${String(iss.input)} is not a power of two (e.g. 256, 1024, 65536)`,
  });
}

function bool(description: string) {
  return z
    .boolean({
      error: (iss) =>
        iss.input === undefined
          ? undefined
          : `expected true or false, got ${describeValue(iss.input)}${
              typeof iss.input === 'string' ? ' (YAML 1.2: yes/no/on/off are strings)' : ''
            }`,
    })
    .meta({ description });
}

/** The duration schemas, so the JSON schema can say that a bare 0 is one (see json-schema.ts). */
const durationSchemas = new WeakSet<object>();

/** isDurationSchema tells whether `s` is a duration field's schema. */
export function isDurationSchema(s: object): boolean {
  return durationSchemas.has(s);
}

/**
 * A duration: a string such as `500ms`, `2s`, `1m30s`, or `0`. YAML reads a bare `0` as a number; that one
 * is taken as `0` (it is zero in every unit), any other bare number is refused as having no unit.
 */
function duration(
  min: number,
  max: number,
  description: string,
  more?: { ok: (ms: number) => boolean; message: (text: string) => string },
) {
  const text = z
    .string({
      error: (iss) =>
        iss.input === undefined
          ? undefined
          : typeof iss.input === 'number'
            ? `${iss.input} has no unit: write e.g. ${iss.input}s or ${iss.input}ms`
            : `expected a duration such as 500ms, 2s or 1m, got ${describeValue(iss.input)}`,
    })
    .regex(new RegExp(DURATION_PATTERN), {
      error: (iss) => {
        const r = parseDuration(String(iss.input));
        return typeof r === 'number' ? 'not a duration' : r.error;
      },
    })
    .superRefine((v, ctx) => {
      const ms = parseDuration(v);
      if (typeof ms !== 'number') {
        // The pattern matched but the value is not whole milliseconds (e.g. 1.0005s).
        if (new RegExp(DURATION_PATTERN).test(v)) ctx.addIssue({ code: 'custom', message: ms.error });
        return;
      }
      if (ms < min || ms > max) {
        ctx.addIssue({
          code: 'custom',
          message: `${v} is outside the allowed range ${formatDuration(min)}..${formatDuration(max)}`,
        });
      } else if (more !== undefined && !more.ok(ms)) {
        ctx.addIssue({ code: 'custom', message: more.message(v) });
      }
    });
  const schema = z.preprocess((v) => (v === 0 ? '0' : v), text).meta({ description });
  durationSchemas.add(schema);
  return schema;
}

function familyName(f: 4 | 6): string {
  return f === 4 ? 'IPv4' : 'IPv6';
}

/** Why an IPv6 address with its first 96 bits zero cannot go to VPP (see ip46ReadsAsIpv4). */
const ZERO_96_VPP =
  'VPP cannot tell an IPv6 address whose first 96 bits are zero (:: or ::a.b.c.d) from an IPv4 address, so it would refuse or misfile it';

/**
 * An IP address; with `family`, only that family is accepted. `zero96`, if given, is the message ending
 * for an IPv6 address whose first 96 bits are zero, which is then refused. `host`, if given, names what
 * the address is for, and an address no host can have (unspecified, broadcast, multicast) is refused.
 */
function address(family: 4 | 6 | undefined, description: string, zero96?: string, host?: string) {
  const s = z
    .string({ error: typeError(family === undefined ? 'an IP address' : `an ${familyName(family)} address`) })
    .superRefine((v, ctx) => {
      const a = tryParseAddress(v);
      if ('error' in a) {
        ctx.addIssue({ code: 'custom', message: `"${v}" is not a valid IP address: ${a.error}` });
      } else if (family !== undefined && a.family !== family) {
        ctx.addIssue({
          code: 'custom',
          message: `"${v}" is an ${familyName(a.family)} address; this key takes an ${familyName(family)} address`,
        });
      } else if (zero96 !== undefined && ip46ReadsAsIpv4(a)) {
        ctx.addIssue({ code: 'custom', message: `"${v}" ${zero96}` });
      } else if (host !== undefined && notUnicast(a) !== undefined) {
        ctx.addIssue({
          code: 'custom',
          message: `"${v}" is ${notUnicast(a) === 'unspecified' ? 'the unspecified' : `a ${notUnicast(a)}`} address: ${host} must be one host's (unicast) address`,
        });
      }
    });
  return family === undefined
    ? s.meta({ description })
    : s.meta({ description, format: family === 4 ? 'ipv4' : 'ipv6' });
}

/** A VIP: an address (a host prefix) or `address/length` without host bits. */
const vipPrefix = z
  .string({ error: typeError('an IP address or prefix') })
  .superRefine((v, ctx) => {
    const p = tryParsePrefix(v);
    if ('error' in p) {
      ctx.addIssue({ code: 'custom', message: `"${v}" is not a valid IP address or prefix: ${p.error}` });
      return;
    }
    const special = notUnicast(p.address);
    if (ip46ReadsAsIpv4(p.address)) {
      ctx.addIssue({ code: 'custom', message: `"${v}" cannot be a VIP: ${ZERO_96_VPP}` });
    } else if (special === 'multicast' || special === 'broadcast') {
      ctx.addIssue({
        code: 'custom',
        message: `"${v}" is a ${special} address: a VIP takes unicast traffic, VPP's lb cannot balance it`,
      });
    } else if (hasHostBits(p.address, p.length)) {
      ctx.addIssue({
        code: 'custom',
        message: `"${v}" has host bits set beyond /${p.length} (VPP would silently clear them): write ${maskedText(p.address, p.length)}`,
      });
    }
  })
  .meta({
    description:
      'VIP: an IP address (a host prefix) or a prefix such as 198.51.100.0/24; host bits must be zero',
  });

function maskedText(a: IpAddress, length: number): string {
  const bytes = Uint8Array.from(a.bytes);
  for (let bit = length; bit < bytes.length * 8; bit++) {
    bytes[bit >> 3] = (bytes[bit >> 3] as number) & ~(1 << (7 - (bit & 7)));
  }
  return `${formatAddressBytes(bytes)}/${length}`;
}

const STATUS_RE = /^([1-5][0-9]{2})(-([1-5][0-9]{2}))?$/;

const statusError = (iss: { input?: unknown }) =>
  `${describeValue(iss.input)} is not an HTTP status: use a code ${LIMITS.status[0]}..${LIMITS.status[1]} or a range like "200-399"`;

const statusItem = z
  .union(
    [
      z
        .number({ error: statusError })
        .int({ error: statusError })
        .min(LIMITS.status[0], { error: statusError })
        .max(LIMITS.status[1], { error: statusError }),
      z.string({ error: statusError }).regex(STATUS_RE, { error: statusError }),
    ],
    { error: statusError },
  )
  .superRefine((v, ctx) => {
    if (typeof v !== 'string') return;
    const m = STATUS_RE.exec(v);
    if (m?.[3] !== undefined && Number(m[3]) < Number(m[1])) {
      ctx.addIssue({ code: 'custom', message: `status range "${v}" ends before it starts` });
    }
  });

/** Header names are HTTP tokens (RFC 9110 §5.6.2); values may not break the request line structure. */
const HEADER_NAME_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Headers the prober itself owns: setting them would break the request or the probe's meaning. */
const RESERVED_HEADERS: ReadonlyMap<string, string> = new Map([
  ['host', 'set the Host header with the healthcheck key "host"'],
  ['content-length', 'the prober sends GET requests without a body'],
  ['transfer-encoding', 'the prober sends GET requests without a body'],
  ['connection', 'the prober always closes the connection after one request'],
]);

const headers = z
  .record(
    z.string().regex(HEADER_NAME_RE, {
      error: (iss) => `${JSON.stringify(iss.input)} is not a valid HTTP header name`,
    }),
    z
      .string({ error: typeError('a string header value') })
      .regex(/^[^\r\n\0]*$/, { error: 'a header value may not contain line breaks or NUL' }),
    { error: typeError('a map of header names to values') },
  )
  .superRefine((h, ctx) => {
    for (const k of Object.keys(h)) {
      const why = RESERVED_HEADERS.get(k.toLowerCase());
      if (why !== undefined)
        ctx.addIssue({ code: 'custom', path: [k], message: `header "${k}" cannot be set here: ${why}` });
    }
  })
  .meta({ description: 'http/https: extra request headers (values are redacted in logs)' });

const HOST_RE =
  /^([A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)(\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)*\.?$/;

const host = z
  .string({ error: typeError('a host name') })
  .max(253, { error: 'a host name has at most 253 characters' })
  .superRefine((v, ctx) => {
    if (HOST_RE.test(v) && !/^[0-9.]+$/.test(v)) return;
    if (!('error' in tryParseAddress(v))) return;
    ctx.addIssue({
      code: 'custom',
      message: `"${v}" is not a host name or IP address (no scheme, port or path: just e.g. www.example.com)`,
    });
  })
  .meta({
    description: 'http/https: Host header (and TLS SNI for https); default: the backend address',
  });

const httpPath = z
  .string({ error: typeError('a request path') })
  .max(2048, { error: 'a request path has at most 2048 characters' })
  .regex(/^\/[\x21-\x7e]*$/, {
    error: (iss) =>
      `${JSON.stringify(iss.input)} is not a request path: it starts with "/" and has no spaces or control characters`,
  })
  .meta({ description: 'http/https: request path (with query, if any)' });

const port = int(LIMITS.port[0], LIMITS.port[1], 'TCP port to probe');

/** Keys every healthcheck type has. */
export const CheckCommonShape = {
  interval: duration(...LIMITS.intervalMs, 'probe period while the backend is fully up').default(
    DEFAULTS.interval,
  ),
  'fast-interval': duration(
    ...LIMITS.intervalMs,
    'probe period while the health counter is between fully down and fully up; default: interval',
  ).optional(),
  'down-interval': duration(
    ...LIMITS.intervalMs,
    'probe period while the backend is fully down; default: interval',
  ).optional(),
  timeout: duration(
    ...LIMITS.timeoutMs,
    'deadline of one probe; must be shorter than every interval',
  ).default(DEFAULTS.timeout),
  rise: int(...LIMITS.riseFall, 'consecutive passes that bring a down backend up').default(DEFAULTS.rise),
  fall: int(...LIMITS.riseFall, 'consecutive failures that take a fully up backend down').default(
    DEFAULTS.fall,
  ),
  'ipv4-source-address': address(
    4,
    'source address of probes to IPv4 backends; default: chosen by the kernel',
  ).optional(),
  'ipv6-source-address': address(
    6,
    'source address of probes to IPv6 backends; default: chosen by the kernel',
    'cannot be a probe source address: an IPv6 address whose first 96 bits are zero is the unspecified address :: or a deprecated IPv4-compatible one (::a.b.c.d, RFC 4291), never an address a host sends from',
  ).optional(),
};

const httpKeys = {
  port,
  path: httpPath.default(DEFAULTS.path),
  host: host.optional(),
  'expect-status': z
    .array(statusItem, { error: typeError('a list of statuses, e.g. [200] or ["200-399"]') })
    .min(1, { error: 'expect-status needs at least one status' })
    .default([DEFAULTS.expectStatus])
    .meta({ description: 'http/https: accepted statuses, codes or ranges like "200-399"' }),
  headers: headers.default({}),
};

const typeLiteral = <T extends string>(t: T) => z.literal(t).meta({ description: 'probe type' });

export const IcmpCheckSchema = z.strictObject({ type: typeLiteral('icmp'), ...CheckCommonShape });
export const TcpCheckSchema = z.strictObject({ type: typeLiteral('tcp'), port, ...CheckCommonShape });
export const HttpCheckSchema = z.strictObject({
  type: typeLiteral('http'),
  ...httpKeys,
  ...CheckCommonShape,
});
export const HttpsCheckSchema = z.strictObject({
  type: typeLiteral('https'),
  ...httpKeys,
  insecure: bool('https: skip certificate verification').default(DEFAULTS.insecure),
  ...CheckCommonShape,
});

export const HealthcheckSchema = z.discriminatedUnion(
  'type',
  [IcmpCheckSchema, TcpCheckSchema, HttpCheckSchema, HttpsCheckSchema],
  { error: typeError('a map with type and the settings of that type') },
);

export const BackendSchema = z.strictObject(
  {
    address: address(
      undefined,
      'the backend address: probed, and programmed into VPP as the AS',
      `cannot be a backend address: ${ZERO_96_VPP}`,
      'a backend',
    ),
    healthcheck: name('healthcheck').meta({
      description: 'name of the healthcheck that probes this backend',
    }),
    enabled: bool('false starts the backend disabled: no probes, weight 0').default(DEFAULTS.enabled),
  },
  { error: typeError('a map such as { address: 10.0.0.1, healthcheck: http }') },
);

export const PoolMemberSchema = z
  .strictObject(
    {
      weight: int(...LIMITS.weight, 'configured weight 0..100; 0 keeps the AS without traffic').default(
        DEFAULTS.weight,
      ),
    },
    { error: typeError('a map such as { weight: 100 }') },
  )
  .nullable();

export const PoolSchema = z.strictObject(
  {
    name: name('pool'),
    backends: z
      .record(name('backend'), PoolMemberSchema, {
        error: typeError('a map of backend names, e.g. { web1: { weight: 100 } }'),
      })
      .meta({ description: 'backends of this pool by name, each with an optional weight', minProperties: 1 }),
  },
  { error: typeError('a map with name and backends') },
);

export const FrontendSchema = z.strictObject(
  {
    address: vipPrefix,
    protocol: z
      .enum(['tcp', 'udp', 'any'], {
        error: (iss) =>
          iss.input === undefined ? undefined : `expected tcp, udp or any, got ${describeValue(iss.input)}`,
      })
      .default(DEFAULTS.protocol)
      .meta({ description: 'tcp | udp | any (any = all-port VIP: port must be absent)' }),
    port: int(...LIMITS.port, 'VIP port; required for tcp and udp, absent for any').optional(),
    'src-ip-sticky': bool('hash new flows on the source address only').default(DEFAULTS.srcIpSticky),
    'flush-on-down': bool('flush the sticky flows of a backend that goes down').default(DEFAULTS.flushOnDown),
    'new-flows-table-length': powerOfTwo(
      ...LIMITS.newFlowsTableLength,
      'Maglev table length of this VIP; default: vpp.lb.new-flows-table-length',
    ).optional(),
    pools: z.array(PoolSchema, { error: typeError('a list of pools') }).meta({
      description: 'pools in priority order: the first pool with an up backend serves',
      minItems: 1,
    }),
  },
  { error: typeError('a map') },
);

export const HealthcheckerSchema = z.strictObject(
  {
    'transition-history': int(...LIMITS.transitionHistory, 'transitions kept per backend').default(
      DEFAULTS.transitionHistory,
    ),
    'max-concurrent-probes': int(
      ...LIMITS.maxConcurrentProbes,
      'probes in flight at once, across all backends',
    ).default(DEFAULTS.maxConcurrentProbes),
    'state-ttl': duration(
      ...LIMITS.stateTtlMs,
      'at start, persisted health younger than this seeds a backend (probed at once); 0 ignores it',
    ).default(DEFAULTS.stateTtl),
  },
  { error: typeError('a map') },
);

export const LbSchema = z.strictObject(
  {
    'ipv4-src-address': address(4, 'GRE4 encap source; required if any VIP has IPv4 backends').optional(),
    'ipv6-src-address': address(6, 'GRE6 encap source; required if any VIP has IPv6 backends').optional(),
    'sticky-buckets-per-core': powerOfTwo(
      ...LIMITS.stickyBucketsPerCore,
      'sticky flow table size per worker; a power of two',
    ).default(DEFAULTS.stickyBucketsPerCore),
    'flow-timeout': duration(...LIMITS.flowTimeoutMs, 'idle timeout of a sticky flow, whole seconds', {
      ok: (ms) => ms % 1000 === 0,
      message: (v) => `${v} is not a whole number of seconds (VPP counts flow-timeout in seconds)`,
    }).default(DEFAULTS.flowTimeout),
    'new-flows-table-length': powerOfTwo(
      ...LIMITS.newFlowsTableLength,
      'Maglev table length of every VIP; a power of two (0 aborts VPP)',
    ).default(DEFAULTS.newFlowsTableLength),
    'sync-interval': duration(...LIMITS.syncIntervalMs, 'period of the full sync (drift repair)').default(
      DEFAULTS.syncInterval,
    ),
    'startup-min-delay': duration(
      ...LIMITS.startupMinDelayMs,
      'warmup: after start, write nothing to VPP for this long',
    ).default(DEFAULTS.startupMinDelay),
    'startup-max-delay': duration(
      ...LIMITS.startupMaxDelayMs,
      'warmup: release every frontend at this time after start',
    ).default(DEFAULTS.startupMaxDelay),
    'remove-unknown-vips': bool('full sync deletes VIPs that no frontend defines').default(
      DEFAULTS.removeUnknownVips,
    ),
  },
  { error: typeError('a map') },
);

export const VppSchema = z.strictObject(
  {
    'api-timeout': duration(...LIMITS.apiTimeoutMs, 'reply deadline of one VPP API request').default(
      DEFAULTS.apiTimeout,
    ),
    lb: LbSchema.prefault({}),
  },
  { error: typeError('a map') },
);

const section = <T extends z.ZodType>(what: string, value: T, description: string) =>
  z
    .record(name(what), value, {
      error: (iss) =>
        iss.code === 'invalid_type' && iss.input !== undefined
          ? `expected a map of ${what}s by name, got ${describeValue(iss.input)} (write {} for none)`
          : undefined,
    })
    .meta({ description });

export const MaglevSchema = z.strictObject(
  {
    healthchecker: HealthcheckerSchema.prefault({}),
    vpp: VppSchema.prefault({}),
    healthchecks: section('healthcheck', HealthcheckSchema, 'healthchecks by name'),
    backends: section('backend', BackendSchema, 'backends by name: each is probed once'),
    frontends: section('frontend', FrontendSchema, 'frontends (VIPs) by name'),
  },
  { error: typeError('a map with healthchecker, vpp, healthchecks, backends and frontends') },
);

/** ConfigSchema is the whole file: one top-level key, `maglev`. */
export const ConfigSchema = z
  .strictObject({ maglev: MaglevSchema }, { error: typeError('a map with the one key maglev') })
  .meta({
    title: 'maglevd configuration',
    description: 'maglevd config file (/etc/maglev/maglev.yaml); see docs/config.md',
  });

export type RawConfig = z.output<typeof ConfigSchema>;
export type RawMaglev = z.output<typeof MaglevSchema>;
export type RawHealthcheck = z.output<typeof HealthcheckSchema>;
export type RawBackend = z.output<typeof BackendSchema>;
export type RawFrontend = z.output<typeof FrontendSchema>;
export type RawPool = z.output<typeof PoolSchema>;
export type RawHealthchecker = z.output<typeof HealthcheckerSchema>;
export type RawVpp = z.output<typeof VppSchema>;
