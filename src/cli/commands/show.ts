// `maglevctl show ...`: frontends, backends, healthchecks, vpp, vpp lb and plan, as tables or JSON.
import type { Command } from 'commander';
import type {
  BackendView,
  FrontendView,
  HealthcheckView,
  LiveLbView,
  PlanView,
  TimeView,
  VppView,
} from '../../control/protocol.js';
import type { Runner } from '../context.js';
import { age, dash, duration, latency, pairs, table } from '../format.js';

const since = (t: TimeView | null) => (t ? age(t.ageMs) : '-');

function weightCell(b: FrontendView['pools'][number]['backends'][number]): string {
  if (!b.override) return String(b.configuredWeight);
  return `${b.configuredWeight} (set ${b.override.weight}${b.override.flush ? ' flush' : ''})`;
}

/** renderFrontend prints a frontend's header line and its pool table. */
export function renderFrontend(f: FrontendView): string {
  const flags = [f.encap, f.srcIpSticky ? 'src-ip-sticky' : '', f.flushOnDown ? 'flush-on-down' : '']
    .filter(Boolean)
    .join(', ');
  const head = `${f.name}  ${f.vip}  ${f.state}  active pool ${f.activePool ?? '-'}${
    f.released ? '' : '  [warmup: held]'
  }  (${flags})`;
  const rows = f.pools.flatMap((p) =>
    p.backends.map((b) => [
      p.active ? `${p.name}*` : p.name,
      b.backend,
      dash(b.address),
      b.state,
      weightCell(b),
      String(b.effectiveWeight),
      dash(b.vppWeight),
      dash(b.vppBuckets),
      since(b.lastTransition),
    ]),
  );
  return `${head}\n${table(
    ['POOL', 'BACKEND', 'ADDRESS', 'STATE', 'WEIGHT', 'EFFECTIVE', 'VPP', 'BUCKETS', 'SINCE'],
    rows,
    '  ',
  )}`;
}

function probeCell(b: BackendView): string {
  const p = b.lastProbe;
  return p ? `${p.code} ${p.detail} (${age(p.at.ageMs)} ago)` : '-';
}

/** renderBackends prints the one-line-per-backend table. */
export function renderBackends(list: readonly BackendView[]): string {
  return table(
    ['NAME', 'ADDRESS', 'STATE', 'HEALTH', 'LAST PROBE', 'LATENCY', 'SINCE', 'FRONTENDS'],
    list.map((b) => [
      b.name,
      b.address,
      b.state === 'paused' ? `paused (${b.lastKnown})` : b.state,
      `${b.health}/${b.rise + b.fall - 1}`,
      probeCell(b),
      b.lastProbe ? latency(b.lastProbe.latencyMs) : '-',
      since(b.lastTransition),
      b.frontends.join(',') || '-',
    ]),
  );
}

/** renderBackend prints one backend in detail, with its transition history. */
export function renderBackend(b: BackendView): string {
  const p = b.lastProbe;
  const head = pairs([
    ['address', b.address],
    ['healthcheck', b.healthcheck],
    [
      'state',
      `${b.state}${b.state === 'paused' ? ` (last known ${b.lastKnown})` : ''}${
        b.lastTransition ? `, since ${age(b.lastTransition.ageMs)}` : ''
      }`,
    ],
    ['health', `${b.health}/${b.rise + b.fall - 1} (rise ${b.rise}, fall ${b.fall})`],
    [
      'last probe',
      p
        ? `${p.ok ? 'pass' : 'fail'} ${p.code} ${p.detail}, ${latency(p.latencyMs)}, ${age(p.at.ageMs)} ago`
        : '-',
    ],
    ['config', b.configEnabled ? 'enabled' : 'disabled'],
    ['frontends', b.frontends.join(', ') || '-'],
  ]);
  const history = b.history.length
    ? table(
        ['AGE', 'FROM', 'TO', 'CODE', 'REASON'],
        [...b.history].reverse().map((t) => [age(t.at.ageMs), t.from, t.to, dash(t.code), t.reason]),
        '    ',
      )
    : '    (none)';
  return `backend ${b.name}\n${head
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n')}\n  history (newest first):\n${history}`;
}

function checkTarget(c: HealthcheckView): string {
  if (c.type === 'http' || c.type === 'https') {
    const statuses = c.expectStatus.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(',');
    return `GET ${c.host ?? '<address>'}${c.path ?? '/'} expect ${statuses}${c.insecure ? ' insecure' : ''}`;
  }
  return c.type === 'tcp' ? 'connect' : 'echo';
}

export function renderHealthchecks(list: readonly HealthcheckView[]): string {
  return table(
    ['NAME', 'TYPE', 'PORT', 'PROBE', 'INTERVAL', 'FAST', 'DOWN', 'TIMEOUT', 'RISE', 'FALL', 'BACKENDS'],
    list.map((c) => [
      c.name,
      c.type,
      dash(c.port),
      checkTarget(c),
      duration(c.intervalMs),
      duration(c.fastIntervalMs),
      duration(c.downIntervalMs),
      duration(c.timeoutMs),
      String(c.rise),
      String(c.fall),
      c.backends.join(',') || '-',
    ]),
  );
}

export function renderVpp(v: VppView): string {
  const conn = `${v.state} ${v.state === 'connected' ? 'to' : 'on'} ${v.apiSocket}${
    v.since ? ` (since ${age(v.since.ageMs)})` : ''
  }${v.lastError && v.state !== 'connected' ? `: ${v.lastError}` : ''}`;
  let compat = '-';
  if (v.compatibility) {
    compat = v.compatibility.compatible
      ? `compatible (${v.compatibility.checked} messages checked)`
      : `INCOMPATIBLE: ${v.compatibility.mismatches
          .map((m) => `${m.name} (want ${m.expectedCrc}, VPP ${m.vppCrc ?? 'lacks it'})`)
          .join(', ')}`;
  }
  const c = v.lbConf;
  const s = v.lastSync;
  return pairs([
    ['connection', conn],
    ['version', dash(v.version)],
    ['messages', compat],
    [
      'lb conf',
      c
        ? `ipv4-src ${c.ipv4SrcAddress}, ipv6-src ${c.ipv6SrcAddress}, sticky-buckets-per-core ${c.stickyBucketsPerCore}, flow-timeout ${c.flowTimeoutS}s`
        : '-',
    ],
    ['warmup', v.warmup],
    ['dirty VIPs', String(v.dirtyVips)],
    [
      'last sync',
      s
        ? `${s.trigger}${s.full ? ' (full)' : ''}: ${s.calls} calls, ${s.failed} failed, ${latency(s.durationMs)}, ${age(
            s.at.ageMs,
          )} ago${s.error ? `: ${s.error}` : ''}`
        : '-',
    ],
  ]);
}

export function renderVppLb(v: LiveLbView): string {
  const head = v.connected ? '' : "VPP is not connected: showing the daemon's last record of it\n";
  if (v.vips.length === 0) return `${head}no VIPs in VPP`;
  return (
    head +
    v.vips
      .map((vip) => {
        const line = `VIP ${vip.vip}  encap ${vip.encap}  table ${vip.tableLength}  sticky ${dash(
          vip.srcIpSticky,
        )}  frontend ${dash(vip.frontend)}`;
        const rows = vip.ases.map((a) => [
          a.address,
          String(a.weight),
          dash(a.buckets),
          a.flags === null ? '-' : a.flags & 1 ? 'used' : 'removed',
          dash(a.backend),
        ]);
        return `${line}\n${
          rows.length ? table(['ADDRESS', 'WEIGHT', 'BUCKETS', 'FLAGS', 'BACKEND'], rows, '  ') : '  (no ASs)'
        }`;
      })
      .join('\n\n')
  );
}

export function renderPlan(p: PlanView): string {
  const notes: string[] = [];
  if (!p.fresh) notes.push("VPP is not reachable: planned against the daemon's last record of it");
  if (p.warmup !== 'done') notes.push(`warmup ${p.warmup}: held VIPs are not programmed yet`);
  const head = notes.map((n) => `note: ${n}\n`).join('');
  if (p.inSync) return `${head}in sync: a full sync now would make no calls`;
  const calls = `${p.steps.length} call${p.steps.length === 1 ? '' : 's'}:\n${p.steps
    .map((s) => `  ${s.line}`)
    .join('\n')}`;
  const vips = table(
    ['VIP', 'FRONTEND', 'CALLS', 'BUCKETS MOVED'],
    p.vips.map((v) => [
      v.vip,
      dash(v.frontend),
      String(v.calls),
      v.bucketsMoved === null ? '-' : `${v.bucketsMoved}${v.tableLength ? `/${v.tableLength}` : ''}`,
    ]),
    '  ',
  );
  return `${head}${calls}\nper VIP:\n${vips}`;
}

export function registerShow(program: Command, run: Runner): void {
  const show = program.command('show').description('show what maglevd knows');
  show
    .command('frontends [name]')
    .description(
      'VIP, state, active pool; per pool backend: state, weights, VPP buckets, last transition age',
    )
    .action(
      run(async (ctx, [name]) => {
        if (name) {
          const f = await ctx.client.get<FrontendView>(`/frontends/${encodeURIComponent(name)}`);
          if (ctx.json) ctx.printJson(f);
          else ctx.print(renderFrontend(f));
          return 0;
        }
        const r = await ctx.client.get<{ frontends: FrontendView[] }>('/frontends');
        if (ctx.json) ctx.printJson(r);
        else ctx.print(r.frontends.length ? r.frontends.map(renderFrontend).join('\n\n') : 'no frontends');
        return 0;
      }),
    );
  show
    .command('backends [name]')
    .description('state, health counter, last probe result and latency, transition history')
    .action(
      run(async (ctx, [name]) => {
        if (name) {
          const b = await ctx.client.get<BackendView>(`/backends/${encodeURIComponent(name)}`);
          if (ctx.json) ctx.printJson(b);
          else ctx.print(renderBackend(b));
          return 0;
        }
        const r = await ctx.client.get<{ backends: BackendView[] }>('/backends');
        if (ctx.json) ctx.printJson(r);
        else ctx.print(r.backends.length ? renderBackends(r.backends) : 'no backends');
        return 0;
      }),
    );
  show
    .command('healthchecks')
    .description('the healthcheck definitions in force')
    .action(
      run(async (ctx) => {
        const r = await ctx.client.get<{ healthchecks: HealthcheckView[] }>('/healthchecks');
        if (ctx.json) ctx.printJson(r);
        else ctx.print(r.healthchecks.length ? renderHealthchecks(r.healthchecks) : 'no healthchecks');
        return 0;
      }),
    );
  const vpp = show
    .command('vpp')
    .description('VPP connection state, version, lb conf, message-table compatibility')
    .action(
      run(async (ctx) => {
        const r = await ctx.client.get<VppView>('/vpp');
        if (ctx.json) ctx.printJson(r);
        else ctx.print(renderVpp(r));
        return 0;
      }),
    );
  vpp
    .command('lb')
    .description('live VIPs and ASs as dumped from VPP: weight, buckets, flags')
    .action(
      run(async (ctx) => {
        const r = await ctx.client.get<LiveLbView>('/vpp/lb');
        if (ctx.json) ctx.printJson(r);
        else ctx.print(renderVppLb(r));
        return 0;
      }),
    );
  show
    .command('plan')
    .description('dry run: the exact VPP calls the next full sync would make')
    .action(
      run(async (ctx) => {
        const r = await ctx.client.get<PlanView>('/plan');
        if (ctx.json) ctx.printJson(r);
        else ctx.print(renderPlan(r));
        return 0;
      }),
    );
}
