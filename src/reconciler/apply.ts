// Apply: executes plan steps through the dataplane with per-call retry budgets and a pass deadline.
import type { LbDataplane } from '../dataplane/lb-dataplane.js';
import { vipKeyString } from '../model/vip-key.js';
import type { LiveRecord } from './live-record.js';
import type { PlanStep } from './plan.js';

/** The first retry waits this long; each further one twice as long. */
export const RETRY_INITIAL_MS = 25;

export interface StepError {
  readonly code: string;
  readonly message: string;
  readonly retval: number | undefined;
  readonly retvalName: string | undefined;
}

export interface StepOutcome {
  readonly step: PlanStep;
  readonly status: 'ok' | 'failed' | 'skipped';
  readonly attempts: number;
  readonly error: StepError | undefined;
}

export interface ApplyReport {
  readonly outcomes: readonly StepOutcome[];
  readonly applied: number;
  readonly failed: number;
  readonly skipped: number;
  /** Set when the pass stopped early: deadline, or VPP went away. */
  readonly aborted: string | undefined;
  /** VIPs VPP refused a step of (negative retval): retried by the next full sync. */
  readonly refusedVips: ReadonlySet<string>;
  /** VIPs left unfinished by a transient failure or an abort: retried soon. */
  readonly unfinishedVips: ReadonlySet<string>;
}

export interface ApplyOptions {
  /** One call's reply deadline; the retries of one step sleep less than this in total. */
  readonly apiTimeoutMs: number;
  /** Absolute time (by `now`) at which the pass stops starting new calls. */
  readonly deadline: number;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** Called after each executed step (for logs and metrics). */
  readonly onStep?: (o: StepOutcome) => void;
  /**
   * Checked before each call: a reason ends the pass (e.g. VPP reconnected, so the plan was made against
   * state that is gone, or the reconciler stopped).
   */
  readonly shouldAbort?: () => string | undefined;
}

function toStepError(e: unknown): StepError {
  const o = (typeof e === 'object' && e !== null ? e : {}) as Record<string, unknown>;
  return {
    code: typeof o.code === 'string' ? o.code : 'ERR_INTERNAL',
    message: e instanceof Error ? e.message : String(e),
    retval: typeof o.retval === 'number' ? o.retval : undefined,
    retvalName: typeof o.retvalName === 'string' ? o.retvalName : undefined,
  };
}

function isTransient(err: StepError): boolean {
  return err.code === 'ERR_VPP_TIMEOUT' || err.code === 'ERR_VPP_DISCONNECTED';
}

/** VNET_API_ERROR_VALUE_EXIST and VNET_API_ERROR_NO_SUCH_ENTRY (vpp src/vnet/error.h). */
const VALUE_EXIST = -81;
const NO_SUCH_ENTRY = -6;

/**
 * landedEarlier: a retried add answered "exists", or a retried delete answered "no such entry". The
 * attempt that timed out reached VPP after all (VPP executes a request whose reply came too late), so
 * the step is done; refusing it would leave the VIP stale until the next full sync.
 */
function landedEarlier(step: PlanStep, err: StepError, attempts: number): boolean {
  if (attempts < 2 || err.code !== 'ERR_VPP_RETVAL') return false;
  if (step.kind === 'vip-add' || step.kind === 'as-add') return err.retval === VALUE_EXIST;
  if (step.kind === 'vip-del' || step.kind === 'as-del') return err.retval === NO_SUCH_ENTRY;
  return false;
}

function call(dp: LbDataplane, s: PlanStep): Promise<void> {
  switch (s.kind) {
    case 'vip-add':
      return dp.addVip(s.vip, s.encap, s.srcIpSticky, s.tableLength);
    case 'vip-del':
      return dp.delVip(s.vip);
    case 'as-add':
      return dp.addAs(s.vip, s.address, s.weight);
    case 'as-weight':
      return dp.setAsWeight(s.vip, s.address, s.weight, s.flush);
    case 'as-del':
      return dp.delAs(s.vip, s.address, s.flush);
  }
}

/**
 * applyPlan runs the steps in order. A negative retval is not retried: the step is recorded and the rest
 * of that VIP's steps are skipped (they would fail on the same cause). Timeouts and disconnects are
 * retried with doubling sleeps whose total stays below the API timeout; a disconnect that outlasts them,
 * the deadline, or `shouldAbort`, ends the pass. A retried add that finds its object there (or a delete
 * that finds it gone) counts as done. Every accepted step is recorded in `record`.
 */
export async function applyPlan(
  steps: readonly PlanStep[],
  dp: LbDataplane,
  record: LiveRecord,
  opts: ApplyOptions,
): Promise<ApplyReport> {
  const outcomes: StepOutcome[] = [];
  const refused = new Set<string>();
  const unfinished = new Set<string>();
  let aborted: string | undefined;
  for (const step of steps) {
    const vk = vipKeyString(step.vip);
    if (aborted !== undefined || refused.has(vk) || unfinished.has(vk)) {
      if (aborted !== undefined && !refused.has(vk)) unfinished.add(vk);
      outcomes.push({ step, status: 'skipped', attempts: 0, error: undefined });
      continue;
    }
    const stop = opts.now() >= opts.deadline ? 'the sync pass reached its deadline' : opts.shouldAbort?.();
    if (stop !== undefined) {
      aborted = stop;
      unfinished.add(vk);
      outcomes.push({ step, status: 'skipped', attempts: 0, error: undefined });
      continue;
    }
    let attempts = 0;
    let slept = 0;
    let backoff = RETRY_INITIAL_MS;
    let outcome: StepOutcome;
    for (;;) {
      attempts++;
      try {
        await call(dp, step);
        record.apply(step);
        outcome = { step, status: 'ok', attempts, error: undefined };
        break;
      } catch (e) {
        const err = toStepError(e);
        if (landedEarlier(step, err, attempts)) {
          record.apply(step);
          outcome = { step, status: 'ok', attempts, error: undefined };
          break;
        }
        const canRetry =
          isTransient(err) &&
          slept + backoff < opts.apiTimeoutMs &&
          opts.now() + backoff < opts.deadline &&
          opts.shouldAbort?.() === undefined;
        if (canRetry) {
          await opts.sleep(backoff);
          slept += backoff;
          backoff *= 2;
          continue;
        }
        outcome = { step, status: 'failed', attempts, error: err };
        if (isTransient(err)) {
          unfinished.add(vk);
          if (err.code === 'ERR_VPP_DISCONNECTED') aborted = 'VPP disconnected';
        } else {
          refused.add(vk);
        }
        break;
      }
    }
    outcomes.push(outcome);
    opts.onStep?.(outcome);
  }
  return {
    outcomes,
    applied: outcomes.filter((o) => o.status === 'ok').length,
    failed: outcomes.filter((o) => o.status === 'failed').length,
    skipped: outcomes.filter((o) => o.status === 'skipped').length,
    aborted,
    refusedVips: refused,
    unfinishedVips: unfinished,
  };
}
