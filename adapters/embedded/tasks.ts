/**
 * Task implementations for the embedded runtime: loading them from a module, plus the names the
 * embedded API has always exported for them. Calling them is not done here: the dispatcher runs
 * every attempt through the Node task SDK's `invokeTask` (`sdk/node/core.ts`), the same code a task
 * Lambda runs, so a tasks module sees the same context, timeout, error mapping and result
 * conversion embedded and on AWS.
 *
 *   // tasks.ts
 *   export async function chargeCard(orderId: string, amount: number, ctx: TaskContext) {
 *     return { success: true, paymentId: `p-${ctx.idempotencyKey}` };
 *   }
 *   const tasks = await loadTasksModule('./tasks.ts'); // { chargeCard: [Function] }
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { TaskError, tasksOf, type TaskFn, type TaskModule } from '../../sdk/node/core.ts';
import type { DispatchCommand, TaskError as RuntimeTaskError, Value } from '../../runtime/types.ts';

export { TaskError, type TaskContext, type TaskFn } from '../../sdk/node/core.ts';

export type TaskRegistry = Record<string, TaskFn>;

/**
 * Throw this (or any error with `retryable = false` / `nonRetryable = true`) to fail without
 * retries. Kept for existing task modules; it is the SDK's `TaskError` with `retryable: false`:
 *
 *   throw new NonRetryableError('card declined', 'CardDeclined');
 *   // same as: throw new TaskError('card declined', { type: 'CardDeclined', retryable: false })
 */
export class NonRetryableError extends TaskError {
  constructor(
    message: string,
    readonly type?: string,
  ) {
    super(message, { type: type ?? 'NonRetryableError', retryable: false });
  }
}

/**
 * Imports a `.js`, `.mjs` or `.ts` module and returns its exported functions by name; functions on
 * a default-exported object are included too (named exports win) — the SDK's `tasksOf`, as on
 * Lambda. A TypeScript module is loaded through tsx (`typescriptLoader`).
 */
export async function loadTasksModule(path: string): Promise<TaskRegistry> {
  const file = resolve(path);
  if (/\.[cm]?tsx?$/.test(file)) await typescriptLoader();
  return tasksOf((await import(pathToFileURL(file).href)) as TaskModule);
}

let tsx: Promise<void> | undefined;

/**
 * Makes `import()` of a `.ts` file work. From source this module is itself TypeScript, so whatever
 * runs it (tsx via `bin/currant.mjs`, vitest) already loads `.ts`. Built (`dist/`, plain Node), tsx's
 * hooks are registered on the first TypeScript module, and only then: tsx stays out of start-up.
 * Both hooks, as `bin/currant.mjs` explains: a `.ts` file in a package without `"type": "module"`
 * is loaded as CommonJS.
 */
function typescriptLoader(): Promise<void> {
  if (import.meta.url.endsWith('.ts')) return Promise.resolve();
  tsx ??= Promise.all([import('tsx/esm/api'), import('tsx/cjs/api')]).then(([esm, cjs]) => {
    esm.register();
    cjs.register();
  });
  return tsx;
}

/** The outcome of one attempt, as the runtime's task result wants it. */
export type AttemptOutcome =
  | { ok: true; result: Value; durationMs?: number }
  | { ok: false; error: RuntimeTaskError; durationMs?: number };

/** One task attempt as the dispatcher has it (the runtime's `sendTask` command). */
export type TaskAttemptCommand = Extract<DispatchCommand, { type: 'sendTask' }>;

/**
 * Tasks that run outside this process — a Python process (`python.ts`) — to which the dispatcher
 * hands the attempts of the tasks it names. The port the dispatcher depends on; `PythonTasks` is
 * the one implementation.
 *
 *   const py = await PythonTasks.start('tasks.py');      // py.tasks = ['countWords']
 *   const outcome = await py.run(command, deadlineAt);   // never rejects
 */
export interface TaskProcess {
  /** What to call it in messages (the tasks file). */
  readonly label: string;
  /** The task names it serves. */
  readonly tasks: readonly string[];
  /**
   * Runs one attempt to its outcome; `undefined` when it timed out at `deadlineAt` (epoch ms), in
   * which case the runtime's own timeout timer reports it. Never rejects: a process that crashes,
   * hangs or breaks the protocol fails the attempt as retryable.
   */
  run(attempt: TaskAttemptCommand, deadlineAt: number): Promise<AttemptOutcome | undefined>;
  /** Stops the process; attempts still running resolve as `undefined`. */
  close(): Promise<void>;
}
