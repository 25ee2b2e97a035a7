/**
 * Wraps task functions so that every execution is counted: each call appends
 * `<instanceId> <taskId> <attempt>` to the file named by CURRANT_COUNT_FILE (the load benchmark's
 * Lambdas run as local processes on the emulator, so they can write to this machine's disk).
 *
 *   export const chargeCard = counted(order.chargeCard);
 *
 * The benchmark then checks that no attempt ran twice: an SQS redelivery, a resend or a second
 * process running the same attempt would show up as a repeated line.
 */
import { appendFileSync } from 'node:fs';

type Ctx = { instanceId?: string; taskId?: string; attempt?: number };

export function counted<F extends (...args: any[]) => unknown>(fn: F): F {
  return ((...args: unknown[]) => {
    const file = process.env.CURRANT_COUNT_FILE;
    const ctx = args[args.length - 1] as Ctx | undefined;
    // One short line per write with O_APPEND: lines of parallel writers do not interleave.
    if (file && ctx && typeof ctx === 'object') appendFileSync(file, `${ctx.instanceId} ${ctx.taskId} ${ctx.attempt}\n`);
    return fn(...args);
  }) as F;
}
