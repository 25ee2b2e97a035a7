/**
 * Task policies `with { … }` (CT014): on a task declaration (constant literals only), on an awaited
 * task call (computed values allowed, their types checked), and nowhere else.
 */
import type { Call, Expression, ObjectLiteral, ObjectProperty } from '../ast.ts';
import { isDurationError, parseDuration } from '../duration.ts';
import { constantScalar } from '../constant.ts';
import { definitelyNot, isNumberLike, isStringLike, report, show, type Ctx } from './context.ts';
import { POLICY_TYPE_LIMITS } from '../interpreter/types.ts';
import { didYouMean, type Type } from './types.ts';

/** Policy keys a task declaration or call may set (see dsl/interpreter/types.ts TaskPolicy). */
const POLICY_KEYS = ['retries', 'backoff', 'backoffRate', 'maxBackoff', 'timeout', 'nonRetryable', 'retryOn'] as const;

/**
 * A task policy `with { … }`: known keys and valid values (CT014). A declaration's values must be
 * constant literals (a list of string literals for `nonRetryable` / `retryOn`, which exclude each
 * other); a call's may be computed (the interpreter evaluates them), so only their
 * types are checked, and literal ones as in a declaration.
 */
export function policy(ctx: Ctx, o: ObjectLiteral, constantOnly: boolean): void {
  const seen = new Set<string>();
  for (const prop of o.properties) {
    if (prop.kind === 'Spread') {
      report(ctx, 'CT014', prop.span, 'a task policy cannot use spread', { hint: `write the keys out: ${POLICY_KEYS.join(', ')}` });
      continue;
    }
    if (!(POLICY_KEYS as readonly string[]).includes(prop.key)) {
      // Suggest by the value's shape too: `retry: 3` means retries, `retry: ["X"]` retryOn.
      const lists = ['nonRetryable', 'retryOn'];
      const shaped = POLICY_KEYS.filter((k) => lists.includes(k) === (prop.value.kind === 'ArrayLiteral'));
      const near = didYouMean(prop.key, shaped) ?? didYouMean(prop.key, POLICY_KEYS);
      report(ctx, 'CT014', prop.span, `unknown task policy key '${prop.key}'${near ? ` (did you mean '${near}'?)` : ''}`, {
        hint: `policy keys are ${POLICY_KEYS.join(', ')}`,
      });
      continue;
    }
    if (seen.has(prop.key)) report(ctx, 'CT014', prop.span, `policy key '${prop.key}' is given twice`);
    seen.add(prop.key);
    if (prop.key === 'nonRetryable' || prop.key === 'retryOn') {
      if (seen.has(prop.key === 'retryOn' ? 'nonRetryable' : 'retryOn')) {
        report(ctx, 'CT014', prop.span, 'use one of nonRetryable or retryOn, not both', {
          hint: 'nonRetryable lists the error types that fail at once; retryOn lists the only ones that are retried',
        });
      }
      errorTypes(ctx, prop, constantOnly);
      continue;
    }
    const v = constantScalar(prop.value);
    if (v === undefined) {
      const t = ctx.expr(prop.value);
      if (constantOnly) {
        report(ctx, 'CT014', prop.value.span, `policy value '${prop.key}' of a task declaration must be a constant literal`, {
          hint: 'write a number or a duration like "30s" (a call can compute it: await t(x) with { retries: n })',
        });
      } else {
        const durationKey = prop.key !== 'retries' && prop.key !== 'backoffRate';
        const ok = (m: Type) => isNumberLike(m) || (durationKey && isStringLike(m));
        if (definitelyNot(ctx, t, ok)) {
          report(ctx, 'CT014', prop.value.span, `policy ${prop.key} must be ${durationKey ? 'a duration (a string like "30s" or milliseconds)' : 'a number'}, got ${show(ctx, t)}`);
        }
      }
      continue;
    }
    switch (prop.key) {
      case 'retries':
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
          report(ctx, 'CT014', prop.value.span, `retries must be a whole number ≥ 0, got ${JSON.stringify(v)}`);
        }
        break;
      case 'backoffRate':
        if (typeof v !== 'number' || !(v >= 1)) {
          report(ctx, 'CT014', prop.value.span, `backoffRate must be a number ≥ 1, got ${JSON.stringify(v)}`);
        }
        break;
      case 'backoff':
      case 'maxBackoff':
      case 'timeout': {
        const d = typeof v === 'string' || typeof v === 'number' ? parseDuration(v) : { error: `expected a duration like "30s", got ${JSON.stringify(v)}` };
        if (isDurationError(d)) report(ctx, 'CT014', prop.value.span, `${prop.key}: ${d.error}`);
        else if (prop.key === 'timeout' && d === 0) report(ctx, 'CT014', prop.value.span, 'timeout must be more than 0');
        break;
      }
    }
  }
}

/** A `nonRetryable` / `retryOn` list: non-empty strings, bounded; constant in a declaration. */
function errorTypes(ctx: Ctx, prop: ObjectProperty, constantOnly: boolean): void {
  const { entries } = POLICY_TYPE_LIMITS;
  const hint = `write a list of error types like ${prop.key}: ["CardDeclined"]`;
  const e = prop.value;
  if (e.kind !== 'ArrayLiteral') {
    const t = ctx.expr(e);
    if (constantOnly) {
      report(ctx, 'CT014', e.span, `policy value '${prop.key}' of a task declaration must be a constant list of strings`, { hint });
    } else if (definitelyNot(ctx, t, (m) => m.kind === 'array' || m.kind === 'tuple')) {
      report(ctx, 'CT014', e.span, `policy ${prop.key} must be a list of error types (strings), got ${show(ctx, t)}`, { hint });
    }
    return;
  }
  if (e.elements.length > entries) {
    report(ctx, 'CT014', e.span, `policy ${prop.key} lists ${e.elements.length} error types; at most ${entries}`);
  }
  for (const el of e.elements) {
    if (el.kind === 'Spread' || constantScalar(el) === undefined) {
      const t = ctx.expr(el.kind === 'Spread' ? el.argument : el);
      if (constantOnly) {
        report(ctx, 'CT014', el.span, `policy value '${prop.key}' of a task declaration must be a constant list of strings`, { hint });
      } else if (el.kind !== 'Spread' && definitelyNot(ctx, t, isStringLike)) {
        report(ctx, 'CT014', el.span, `an error type in ${prop.key} must be a string, got ${show(ctx, t)}`);
      }
      continue;
    }
    errorType(ctx, prop.key, el);
  }
}

function errorType(ctx: Ctx, key: string, el: Expression): void {
  const v = constantScalar(el);
  const { chars } = POLICY_TYPE_LIMITS;
  if (typeof v !== 'string') {
    report(ctx, 'CT014', el.span, `an error type in ${key} must be a string, got ${JSON.stringify(v)}`, { hint: `quote it: "${String(v)}"` });
  } else if (v === '') {
    report(ctx, 'CT014', el.span, `an error type in ${key} cannot be empty`);
  } else if (v.length > chars) {
    report(ctx, 'CT014', el.span, `an error type in ${key} has ${v.length} characters; at most ${chars}`);
  }
}

export function badPolicy(ctx: Ctx, c: Call): void {
  report(ctx, 'CT014', c.policy!.span, "'with { … }' sets a task policy; it only applies to a task call", {
    hint: 'remove it, or put it on an awaited task call: await t(x) with { retries: 3 }',
  });
}
