/**
 * Task implementations for the embedded runtime: their signature, loading them from a module, and
 * turning what they return or throw into a task result.
 *
 * A tasks module is plain JS or TS exporting async functions by task name; each gets the task's
 * arguments followed by a `TaskContext`:
 *
 *   // tasks.ts
 *   export async function chargeCard(orderId: string, amount: number, ctx: TaskContext) {
 *     return { success: true, paymentId: `p-${ctx.idempotencyKey}` };
 *   }
 *   const tasks = await loadTasksModule('./tasks.ts'); // { chargeCard: [Function] }
 *
 * The same functions can be wrapped as a Lambda task handler (the Node SDK does that): they see the
 * same arguments and context fields there.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TaskError, Value } from '../../runtime/types.ts';

export interface TaskContext {
  instanceId: string;
  taskId: string;
  task: string;
  /** `${instanceId}/${taskId}`: stable across attempts; use it to make side effects idempotent. */
  idempotencyKey: string;
  /** 1-based attempt number. */
  attempt: number;
  /** Aborted when the attempt's timeout passes (the attempt then counts as failed). */
  signal: AbortSignal;
}

// Why `any`: task functions are user code with their own parameter types; the runtime passes JSON.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type TaskFn = (...args: any[]) => unknown;

export type TaskRegistry = Record<string, TaskFn>;

/** Throw this (or any error with `retryable = false` / `nonRetryable = true`) to fail without retries. */
export class NonRetryableError extends Error {
  readonly retryable = false;
  constructor(message: string, readonly type?: string) {
    super(message);
    this.name = 'NonRetryableError';
  }
}

/**
 * Imports a `.js`, `.mjs` or `.ts` module (`.ts` needs tsx registered, as `bin/currant.mjs` and
 * vitest do) and returns its exported functions by name; functions on a default-exported object
 * are included too (named exports win).
 */
export async function loadTasksModule(path: string): Promise<TaskRegistry> {
  const mod = (await import(pathToFileURL(resolve(path)).href)) as Record<string, unknown>;
  const out: TaskRegistry = {};
  const def = mod.default;
  if (def && typeof def === 'object') {
    for (const [k, v] of Object.entries(def as Record<string, unknown>)) if (typeof v === 'function') out[k] = v as TaskFn;
  }
  for (const [k, v] of Object.entries(mod)) if (k !== 'default' && typeof v === 'function') out[k] = v as TaskFn;
  return out;
}

/** The outcome of one attempt, as the runtime's task result wants it. */
export type AttemptOutcome = { ok: true; result: Value } | { ok: false; error: TaskError };

/** Turns a task's return value into a JSON result (`undefined` → `null`). */
export function toResult(value: unknown): AttemptOutcome {
  if (value === undefined) return { ok: true, result: null };
  try {
    return { ok: true, result: JSON.parse(JSON.stringify(value)) as Value };
  } catch (e) {
    return { ok: false, error: { message: `the task's result is not JSON: ${(e as Error).message}`, type: 'InvalidResult', retryable: false } };
  }
}

/** Turns what a task threw into a failed attempt: retryable unless it says otherwise. */
export function toTaskError(thrown: unknown): TaskError {
  if (thrown instanceof Error || (thrown && typeof thrown === 'object')) {
    const e = thrown as { message?: unknown; name?: unknown; type?: unknown; retryable?: unknown; nonRetryable?: unknown };
    const error: TaskError = { message: typeof e.message === 'string' ? e.message : String(thrown) };
    const type = typeof e.type === 'string' ? e.type : typeof e.name === 'string' ? e.name : undefined;
    if (type !== undefined) error.type = type;
    if (e.retryable === false || e.nonRetryable === true) error.retryable = false;
    return error;
  }
  return { message: String(thrown) };
}
