/**
 * Budgets of one activation (the run between two awaits): what a workflow may use of its host.
 *
 * Takes the limits from `ExecOptions` (defaults below) and the injected clock; gives a `Meter`
 * that the machine and the built-ins charge before they do work or create a value. Past a budget
 * the meter throws a `RuntimeError`; the machine turns it into a `fail` at the current statement,
 * so the instance fails and the host carries on.
 *
 *   const meter = new Meter(options);
 *   meter.step();                 // one statement                 (CR005 past maxSteps)
 *   meter.work(s.length);         // a built-in touching s         (1 step per WORK_PER_STEP units)
 *   meter.string(n);              // a string of n characters      (CR014 past maxStringLength)
 *   meter.alloc(bytes);           // a new array/object/string     (CR015 past maxActivationBytes)
 *
 * | budget               | default     | past it |
 * | -------------------- | ----------- | ------- |
 * | maxSteps             | 100,000     | CR005 (statements + built-in work / 100) |
 * | maxStringLength      | 10,000,000  | CR014 (characters of one string)         |
 * | maxArrayLength       | 1,000,000   | CR014 (elements of one array)            |
 * | maxActivationBytes   | 64 MiB      | CR015 (estimated bytes of values created) |
 * | maxActivationMs      | 10,000      | CR016 (wall clock, from `now`)            |
 * | MAX_DEPTH (fixed)    | 128         | CR013 (nesting of one value)              |
 * | MAX_CALL_DEPTH (fixed) | 32        | CR035 (helpers and callbacks running inside each other) |
 */
import type { ExecOptions } from './types.ts';
import { RuntimeError } from './values.ts';

export const DEFAULT_MAX_STEPS = 100_000;
export const DEFAULT_MAX_STRING_LENGTH = 10_000_000;
export const DEFAULT_MAX_ARRAY_LENGTH = 1_000_000;
export const DEFAULT_MAX_ACTIVATION_BYTES = 64 * 1024 * 1024;
export const DEFAULT_MAX_ACTIVATION_MS = 10_000;
/**
 * Helper functions and callbacks running inside one another at once (a callback calling a helper
 * that runs a callback is 3). Helpers cannot recurse (the checker reports a cycle, CT053), so only
 * a long chain reaches this; the checker reports one from the workflow as CT055, and the machine
 * fails an unchecked program with CR035. Each level holds a JavaScript call stack of its own
 * expressions, which this keeps far from the host's stack limit.
 */
export const MAX_CALL_DEPTH = 32;
/** Characters or elements a built-in may touch for the price of one step. */
export const WORK_PER_STEP = 100;
/** How many steps pass between two looks at the clock. */
const CLOCK_EVERY = 1024;

/** Estimated heap bytes of new values (V8-like: header plus slots; strings one byte a char). */
export const BYTES = {
  array: (n: number) => 32 + 8 * n,
  object: (n: number) => 32 + 16 * n,
  string: (n: number) => 16 + n,
};

export class Meter {
  steps = 0;
  bytes = 0;
  readonly maxSteps: number;
  readonly maxStringLength: number;
  readonly maxArrayLength: number;
  readonly maxBytes: number;
  readonly maxMs: number;
  /** Work units not yet turned into a whole step. */
  private spare = 0;
  private nextClock = CLOCK_EVERY;
  private readonly startMs: number;
  private readonly clock: () => Date;

  constructor(options: ExecOptions) {
    this.maxSteps = options.maxSteps ?? DEFAULT_MAX_STEPS;
    this.maxStringLength = options.maxStringLength ?? DEFAULT_MAX_STRING_LENGTH;
    this.maxArrayLength = options.maxArrayLength ?? DEFAULT_MAX_ARRAY_LENGTH;
    this.maxBytes = options.maxActivationBytes ?? DEFAULT_MAX_ACTIVATION_BYTES;
    this.maxMs = options.maxActivationMs ?? DEFAULT_MAX_ACTIVATION_MS;
    this.clock = options.now;
    this.startMs = this.clock().getTime();
  }

  /** One statement. */
  step(): void {
    if (++this.steps > this.maxSteps) this.overSteps();
    if (this.steps >= this.nextClock) this.lookAtClock();
  }

  /** Work proportional to `units` characters or elements touched, charged as steps. */
  work(units: number): void {
    const total = this.spare + units;
    if (total < WORK_PER_STEP) {
      this.spare = total;
      return;
    }
    const whole = Math.floor(total / WORK_PER_STEP);
    this.spare = total - whole * WORK_PER_STEP;
    this.steps += whole;
    if (this.steps > this.maxSteps) this.overSteps();
    if (this.steps >= this.nextClock) this.lookAtClock();
  }

  /** Estimated bytes of a value about to be created. */
  alloc(bytes: number): void {
    this.bytes += bytes;
    if (this.bytes > this.maxBytes) {
      throw new RuntimeError(
        'CR015',
        `memory budget of ${this.maxBytes} bytes exhausted in one activation (values created between two awaits; keep large data out of the workflow)`,
      );
    }
  }

  /** A string of `length` characters is about to be created. */
  string(length: number): void {
    if (length > this.maxStringLength) {
      throw new RuntimeError('CR014', `a string of ${length} characters is longer than the limit of ${this.maxStringLength}`);
    }
    this.alloc(BYTES.string(length));
  }

  /** An array of `length` elements is about to be created or grown to that length. */
  array(length: number, fresh = true): void {
    if (length > this.maxArrayLength) {
      throw new RuntimeError('CR014', `an array of ${length} elements is longer than the limit of ${this.maxArrayLength}`);
    }
    if (fresh) this.alloc(BYTES.array(length));
  }

  private overSteps(): never {
    throw new RuntimeError(
      'CR005',
      `step budget of ${this.maxSteps} exhausted in one activation (statements, plus built-in work at ${WORK_PER_STEP} characters or elements a step: a loop that never awaits?)`,
    );
  }

  private lookAtClock(): void {
    this.nextClock = this.steps + CLOCK_EVERY;
    const spent = this.clock().getTime() - this.startMs;
    if (spent > this.maxMs) {
      throw new RuntimeError('CR016', `time budget of ${this.maxMs} ms exhausted in one activation (${spent} ms spent)`);
    }
  }
}
