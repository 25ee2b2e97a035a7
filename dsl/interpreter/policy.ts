/**
 * Task policies: what a task's declaration and a call's `with { … }` make of retries, backoff,
 * timeout and the error types retried or not (CT014 at run time for an invalid one).
 *
 *   declaredPolicy(program, 'chargeCard') // => { retries: 3, backoffMs: 1000, …, timeoutMs: 30000 }
 *   policyOf(machine, 'chargeCard', call.policy)
 */
import type { Expression, ObjectLiteral, Program, Span } from '../ast.ts';
import { constantValue } from '../constant.ts';
import { parseDuration } from '../duration.ts';
import { PositionedError } from './errors.ts';
import type { AwaitHost as Machine } from './host.ts';
import { DEFAULT_POLICY, POLICY_TYPE_LIMITS, type TaskPolicy, type Value } from './types.ts';
import { isObject, kindOf, RuntimeError } from './values.ts';

/**
 * The policy a task's declaration gives (DEFAULT_POLICY ⊕ its `with {…}`), for tooling such as the
 * CDK construct; a call's `with {…}` may still override it. Throws on an invalid policy (CT014).
 *
 *   declaredPolicy(program, 'chargeCard') // => { retries: 3, backoffMs: 1000, …, timeoutMs: 30000 }
 */
export function declaredPolicy(program: Program, task: string): TaskPolicy {
  const decl = program.tasks.find((t) => t.name === task);
  if (!decl) throw new Error(`no task '${task}' is declared in ${program.file}`);
  return decl.policy ? applyPolicy(DEFAULT_POLICY, constant(decl.policy), task, decl.policy.span) : clonePolicy(DEFAULT_POLICY);
}

/** DEFAULT_POLICY ⊕ the declaration's `with {…}` ⊕ the call's `with {…}`. */
export function policyOf(m: Machine, task: string, callPolicy: ObjectLiteral | undefined): TaskPolicy {
  let base = m.ix.policies.get(task);
  if (base === undefined) {
    const decl = m.ix.tasks.get(task)!;
    try {
      base = decl.policy ? applyPolicy(DEFAULT_POLICY, constant(decl.policy), task, decl.policy.span) : DEFAULT_POLICY;
    } catch (e) {
      if (!(e instanceof RuntimeError)) throw e;
      base = e;
    }
    m.ix.policies.set(task, base);
  }
  if (base instanceof RuntimeError) throw base;
  if (!callPolicy) return clonePolicy(base);
  return applyPolicy(base, m.ev(callPolicy), task, callPolicy.span);
}

/** A copy that shares no list with the cached declaration policy (commands and states own theirs). */
function clonePolicy(p: TaskPolicy): TaskPolicy {
  const c = { ...p };
  if (p.nonRetryable) c.nonRetryable = [...p.nonRetryable];
  if (p.retryOn) c.retryOn = [...p.retryOn];
  return c;
}

function applyPolicy(base: TaskPolicy, v: Value, task: string, span: Span): TaskPolicy {
  if (!isObject(v)) throw new PositionedError('CT014', `policy of ${task} must be an object`, span);
  const p = clonePolicy(base);
  const duration = (k: string, x: Value, min: number): number => {
    const ms = typeof x === 'string' || typeof x === 'number' ? parseDuration(x) : { error: `expected a duration, got ${kindOf(x)}` };
    if (typeof ms !== 'number') throw new PositionedError('CT014', `policy ${k} of ${task}: ${ms.error}`, span);
    if (ms < min) throw new PositionedError('CT014', `policy ${k} of ${task} must be at least ${min}ms`, span);
    return ms;
  };
  for (const [k, x] of Object.entries(v)) {
    switch (k) {
      case 'retries':
        if (typeof x !== 'number' || !Number.isInteger(x) || x < 0) {
          throw new PositionedError('CT014', `policy retries of ${task} must be an integer ≥ 0`, span);
        }
        p.retries = x;
        break;
      case 'backoff':
        p.backoffMs = duration(k, x, 0);
        break;
      case 'backoffRate':
        if (typeof x !== 'number' || !(x >= 1)) throw new PositionedError('CT014', `policy backoffRate of ${task} must be a number ≥ 1`, span);
        p.backoffRate = x;
        break;
      case 'maxBackoff':
        p.maxBackoffMs = duration(k, x, 0);
        break;
      case 'timeout':
        p.timeoutMs = duration(k, x, 1);
        break;
      case 'nonRetryable':
      case 'retryOn':
        if (Object.hasOwn(v, k === 'retryOn' ? 'nonRetryable' : 'retryOn')) {
          throw new PositionedError('CT014', `policy of ${task}: use one of nonRetryable or retryOn, not both`, span);
        }
        // A list replaces the base's rule by error type, whichever form that was.
        delete p.nonRetryable;
        delete p.retryOn;
        p[k] = errorTypes(k, x, task, span);
        break;
      default:
        throw new PositionedError('CT014', `unknown policy key '${k}' (${POLICY_KEYS.join(', ')})`, span);
    }
  }
  return p;
}

const POLICY_KEYS = ['retries', 'backoff', 'backoffRate', 'maxBackoff', 'timeout', 'nonRetryable', 'retryOn'];

/** A `nonRetryable` / `retryOn` list: at most 50 non-empty strings of at most 100 characters, copied. */
function errorTypes(k: string, x: Value, task: string, span: Span): string[] {
  const { entries, chars } = POLICY_TYPE_LIMITS;
  if (!Array.isArray(x)) throw new PositionedError('CT014', `policy ${k} of ${task} must be a list of error types (strings), got ${kindOf(x)}`, span);
  if (x.length > entries) throw new PositionedError('CT014', `policy ${k} of ${task} lists ${x.length} error types; at most ${entries}`, span);
  for (const t of x) {
    if (typeof t !== 'string' || t === '' || t.length > chars) {
      throw new PositionedError('CT014', `policy ${k} of ${task}: each error type must be a non-empty string of at most ${chars} characters, got ${typeof t === 'string' ? JSON.stringify(t.slice(0, 40)) : kindOf(t)}`, span);
    }
  }
  return [...new Set(x as string[])];
}

/** A declaration policy is constant: literals only (the checker enforces it; this is the runtime's view). */
function constant(e: Expression): Value {
  const v = constantValue(e);
  if (v === undefined) throw new PositionedError('CT014', 'a task declaration policy takes constant values only', e.span);
  return v;
}
