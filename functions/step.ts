/**
 * The step function: an SQS handler on the event queue. Each record is one event for one instance
 * (a task result, a wake-up, a signal, a cancel); the shared driver loads the instance, applies the
 * event, saves with a conditional write and only then sends what the transition produced.
 *
 * Takes an SQS batch; gives `{ batchItemFailures }` (middy's sqs-partial-batch-failure) so only
 * the records that failed come back:
 *
 *   // event queue message
 *   { "protocol": "currant.result.v1", "type": "taskResult", "instanceId": "o1", "taskId": "n14.s1",
 *     "attempt": 1, "ok": true, "result": { "success": true } }
 *
 * Safety (RUNTIME.md):
 * - duplicate delivery: the runtime sees a result for an attempt that is no longer outstanding (or
 *   a timer that is not pending, or a signal id it has seen) and changes nothing; it resends what
 *   that event produced if still outstanding — which repairs a crash between save and send.
 * - concurrent delivery (fan-in): the conditional save fails for all but one writer; the driver
 *   reloads and re-applies (MAX_CONFLICT_RETRIES), then the record goes back to SQS.
 * - records of one instance in one batch run one after the other; different instances in parallel.
 * - timers travel as one wake-up message per instance (adapters/aws/wake.ts, `processWake`): a
 *   stale one is dropped; the current one fires the due timers and re-arms — by a message when the
 *   next timer is due within 15 minutes, else parked in the byPark index for the reconciler's sweep
 *   (no hops: a 30-day sleep is one message). An early one (clock skew) is sent on with the time left
 *   if that is within 15 minutes; one with longer to go (an older version's hop, or a copy of one)
 *   is parked and dropped, so copies die instead of hopping.
 * - crash between any two calls: state is saved before anything is sent; the redelivered event
 *   (or wake-up) resends what is outstanding.
 * - the workflow's `console.log` lines of each saved transition are written as JSON log lines with
 *   the instance id (`logWorkflowLines`, wiring.ts); a duplicate writes none.
 */
import middy from '@middy/core';
import sqsPartialBatchFailure from '@middy/sqs-partial-batch-failure';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { advance, advanceBatch, eventIds, InstanceNotFoundError, isFinal, pendingCommands, VersionConflictError, type AdvanceResult, type RuntimeEvent } from '../runtime/index.ts';
import { parseEventMessage, type EventSource, type WakeMessage } from '../adapters/aws/messages.ts';
import { dueTimers, earliestFireAt, newWake, newWakeId, parks, type AwsInstance, type Wake, type WakePort } from '../adapters/aws/wake.ts';
import type { BlobStore } from '../adapters/aws/blobs.ts';
import { readResult } from '../adapters/aws/payloads.ts';
import { currentMetrics, log, logAdvance, newMetrics, runtime, type Metrics } from './wiring.ts';
import { ENGINE_METRICS } from './metric-names.ts';
import { observability, tally } from './observability.ts';
import { processChild, type ChildDeps, type ChildOutcome } from './children.ts';

/** A message that can never be processed (bad JSON, unknown type): fail it so it ends in the DLQ. */
export class PoisonMessageError extends Error {
  constructor(readonly problems: string[]) {
    super(`unprocessable event message: ${problems.join('; ')}`);
    this.name = 'PoisonMessageError';
  }
}

export type RecordOutcome =
  | { outcome: 'applied'; instanceId: string; event: string; version: number; status: string; commands: number; workflow?: string; eventType?: string; durationMs?: number }
  | { outcome: 'duplicate'; instanceId: string; event: string; reason: string; resent: number; workflow?: string; eventType?: string }
  | { outcome: 'unknown-instance'; instanceId: string; event: string }
  | { outcome: 'wake'; instanceId: string; event: string; result: 'early' | 'parked' | 'stale' | 'rearmed'; fired: number; repair?: true; workflow?: string; durationMs?: number }
  | ChildOutcome
  | Refused;

/** The step function's dependencies: the runtime's, plus the wake-up port (adapters/aws/wake.ts). */
export interface StepDeps extends ChildDeps {
  /** Needed for wake-up messages only; results and timers work without it. */
  wakes?: WakePort;
  /** Where tasks store results too large for their message (adapters/aws/payloads.ts). */
  blobs?: BlobStore;
}

/** Rounds of fire-due-timers / re-arm before the record is given back to SQS. */
const MAX_WAKE_ROUNDS = 10;
/** A wake-up this close to due is processed now (clocks of SQS and Lambda differ a little). */
const WAKE_EARLY_TOLERANCE_MS = 1000;

export interface RecordInfo {
  /** SQS's ApproximateReceiveCount: above 1, an earlier delivery of this message did not finish. */
  receiveCount?: number;
  /**
   * The queue the record came from (`sourceOf`): it decides which message types are accepted. The
   * Lambda handler always sets it; absent (callers that made the body themselves), a task result
   * counts as from the result queue and anything else as from the event queue.
   */
  source?: EventSource;
}

/** A message refused for its queue or its token: dropped (not retried), logged and counted. */
export type Refused = { outcome: 'refused'; instanceId?: string; event?: string; reason: string };

/** Processes one event-queue body. Throws to have the record redelivered. */
export async function processBody(deps: StepDeps, body: string, info: RecordInfo = {}): Promise<RecordOutcome> {
  const parsed = parseEventMessage(body, info.source ?? (messageType(body) === 'taskResult' ? 'results' : 'events'));
  if (!parsed.ok && parsed.refused) return { outcome: 'refused', instanceId: instanceKey(body), reason: parsed.problems.join('; ') };
  if (!parsed.ok) throw new PoisonMessageError(parsed.problems);
  if (parsed.message.type === 'wake') return processWake(deps, parsed.message, info);
  if (parsed.message.type === 'childStart' || parsed.message.type === 'childCancel') return processChild(deps, parsed.message);
  const { instanceId } = parsed;
  if (!parsed.event) throw new PoisonMessageError(['no event']);
  const event = parsed.resultRef && parsed.event.type === 'taskResult' ? await readResult(deps.blobs, instanceId, parsed.event) : parsed.event;
  let r: AdvanceResult;
  try {
    r = logAdvance(await advance(deps, instanceId, event));
  } catch (e) {
    // Instances are created before anything about them is sent, so an event for an unknown id
    // can never apply (a hand-made message, a deleted instance): retrying would not help.
    if (e instanceof InstanceNotFoundError) return { outcome: 'unknown-instance', instanceId, event: event.id };
    throw e;
  }
  return outcomeOf(instanceId, event, r);
}

/**
 * Task results for one instance, applied together: one load and one conditional save for all of
 * them (`advanceBatch`), which is what keeps a fan-in of hundreds of results from contending on
 * the item. Gives one settled outcome per body, in order; a body that does not parse (or is
 * refused) settles alone, the rest share the batch's fate (a failed save fails them all, and SQS
 * redelivers them as duplicates or as new results).
 */
export async function processResults(deps: StepDeps, bodies: string[]): Promise<PromiseSettledResult<RecordOutcome>[]> {
  const out: PromiseSettledResult<RecordOutcome>[] = new Array(bodies.length);
  const batch: { idx: number; instanceId: string; event: RuntimeEvent; resultRef?: { bytes: number } }[] = [];
  bodies.forEach((body, idx) => {
    const parsed = parseEventMessage(body, 'results');
    if (!parsed.ok && parsed.refused) out[idx] = { status: 'fulfilled', value: { outcome: 'refused', instanceId: instanceKey(body), reason: parsed.problems.join('; ') } };
    else if (!parsed.ok) out[idx] = { status: 'rejected', reason: new PoisonMessageError(parsed.problems) };
    else if (parsed.message.type !== 'wake') batch.push({ idx, instanceId: parsed.instanceId, event: parsed.event!, resultRef: 'resultRef' in parsed ? parsed.resultRef : undefined });
  });
  // Results stored aside are read first (in parallel); what goes wrong there is a failed attempt.
  await Promise.all(
    batch.map(async (b) => {
      if (b.resultRef && b.event.type === 'taskResult') b.event = await readResult(deps.blobs, b.instanceId, b.event);
    }),
  );
  // Grouped by instance id as parsed (the caller groups by the raw id already; this keeps it exact).
  const byInstance = new Map<string, typeof batch>();
  for (const b of batch) byInstance.set(b.instanceId, [...(byInstance.get(b.instanceId) ?? []), b]);
  // Different instances in parallel (a FIFO batch may span several message groups), each timed
  // on its own (StepDuration: one per instance's saved transition).
  await Promise.all(
    [...byInstance].map(async ([instanceId, items]) => {
      try {
        const t0 = performance.now();
        const results = await advanceBatch(deps, instanceId, items.map((b) => b.event));
        results.forEach(logAdvance);
        const durationMs = elapsed(t0);
        items.forEach((b, k) => {
          const o = outcomeOf(instanceId, b.event, results[k]!);
          out[b.idx] = { status: 'fulfilled', value: o.outcome === 'applied' ? { ...o, durationMs } : o };
        });
      } catch (e) {
        for (const b of items) {
          out[b.idx] =
            e instanceof InstanceNotFoundError
              ? { status: 'fulfilled', value: { outcome: 'unknown-instance', instanceId, event: b.event.id } }
              : { status: 'rejected', reason: e };
        }
      }
    }),
  );
  return out;
}

function outcomeOf(instanceId: string, event: RuntimeEvent, r: AdvanceResult): RecordOutcome {
  if (r.duplicate && r.rejected) return { outcome: 'refused', instanceId, event: event.id, reason: r.reason };
  const known = { workflow: r.instance.workflow, eventType: event.type };
  return r.duplicate
    ? { outcome: 'duplicate', instanceId, event: event.id, reason: r.reason, resent: r.resent.length, ...known }
    : { outcome: 'applied', instanceId, event: event.id, version: r.instance.version, status: r.instance.status, commands: r.commands.length, ...known };
}

/** Milliseconds since `t0` (performance.now()), to the microsecond. */
function elapsed(t0: number): number {
  return Math.round((performance.now() - t0) * 1000) / 1000;
}

/**
 * An instance's wake-up (adapters/aws/wake.ts): not due yet → sent again with the time left (no
 * read) when that is within SQS's 15-minute delay, else parked (one conditional write: the stored
 * wake-up must be this one and not parked yet) and dropped, so a hopping copy dies here; stale
 * (another wake-up replaced it, or the instance finished) → dropped; else the due timers are fired
 * together through the runtime (`advanceBatch`: one load and save; the runtime decides what each
 * means), then the wake-up is
 * re-armed for the earliest timer left: parked when it is more than 15 minutes away (the
 * conditional write alone), else the message first, then the conditional write — a crash between
 * the two leaves a message that arrives stale, and SQS redelivers this one.
 *
 * Crash repair: a timer fired here is gone from the instance once saved, so if an earlier delivery
 * of this (still current) wake-up died between such a save and its sends, nothing would name that
 * timer again. A redelivered current wake-up (receive count above 1) therefore first re-sends the
 * outstanding attempts that fired timers sent (`producedByTimer`): at-least-once, like every
 * resend. A wake-up the reconciler sent (`repair`), found overdue in the index because its message
 * was lost, re-sends all outstanding attempts.
 */
export async function processWake(deps: StepDeps, msg: WakeMessage, info: RecordInfo = {}): Promise<RecordOutcome> {
  if (!deps.wakes) throw new Error('wake-up messages need the wake-up port (StepDeps.wakes: DynamoStore + SqsDispatcher)');
  const { store, sender } = deps.wakes;
  const base = { outcome: 'wake' as const, instanceId: msg.instanceId, event: `wake:${msg.wakeId}`, ...(msg.repair ? { repair: true as const } : {}) };
  const nowMs = deps.clock.now().getTime();
  if (Date.parse(msg.at) - nowMs > WAKE_EARLY_TOLERANCE_MS) {
    const wake: Wake = { id: msg.wakeId, at: msg.at };
    if (!parks(msg.at, nowMs)) {
      await sender.sendWake(msg.instanceId, wake);
      return { ...base, result: 'early', fired: 0 };
    }
    // Too far ahead for one SQS delay: park it for the sweep rather than hop. Only the stored,
    // unparked wake-up parks; a stale message or a copy of a parked one is dropped here.
    return { ...base, result: (await store.park(msg.instanceId, wake)) ? 'parked' : 'stale', fired: 0 };
  }
  let fired = 0;
  // A redelivery, or a repair sent by the reconciler: outstanding work may have been lost too.
  let repaired = (info.receiveCount ?? 1) <= 1 && !msg.repair;
  // The instance as the last firing saved (or found) it: the next round needs no read of its own.
  let known: AwsInstance | undefined;
  for (let round = 0; round < MAX_WAKE_ROUNDS; round++) {
    const instance = known ?? ((await deps.store.load(msg.instanceId)) as AwsInstance | undefined);
    known = undefined;
    if (!instance) return { outcome: 'unknown-instance', instanceId: msg.instanceId, event: base.event };
    if (isFinal(instance.status) || instance.wake?.id !== msg.wakeId) return { ...base, result: 'stale', fired, workflow: instance.workflow };
    if (!repaired) {
      const tasks = pendingCommands(instance).filter((c) => c.type === 'sendTask' && (msg.repair || producedByTimer(instance, c.taskId)));
      if (tasks.length > 0) await deps.dispatcher.dispatch(tasks, instance);
      repaired = true;
    }
    const due = dueTimers(instance.timers, deps.clock.now().getTime());
    if (due.length > 0) {
      // All due timers in one load and one save (a fan-out's task timeouts come due together). The
      // save keeps this wake-up (it is not later than any timer left), so the re-arm below sees it;
      // the instance it left needs no read of its own.
      const results = await advanceBatch(deps, msg.instanceId, due.map((timerId) => ({ type: 'timerFired' as const, id: eventIds.timer(timerId), timerId })));
      results.forEach(logAdvance);
      fired += due.length;
      known = results.at(-1)?.instance as AwsInstance | undefined;
      continue;
    }
    const at = earliestFireAt(instance.timers);
    const next: Wake | undefined = at === undefined ? undefined : newWake(newWakeId(), at, deps.clock.now().getTime());
    if (next && !next.parked) await sender.sendWake(msg.instanceId, next);
    try {
      await store.setWake(instance, instance.version, next);
    } catch (e) {
      if (e instanceof VersionConflictError) continue;
      throw e;
    }
    return { ...base, result: 'rearmed', fired, workflow: instance.workflow };
  }
  throw new VersionConflictError(msg.instanceId, -1);
}

/**
 * Whether a task's current attempt was sent by a fired timer (a sleep or signal timeout that let
 * the workflow go on, a retry, a timeout that failed the attempt before): the work a redelivered
 * wake-up may have fired and lost. Work sent by the start, a result or a signal is repaired by the
 * redelivery of that event, not here: re-sending a fan-out's hundred tasks because a wake-up was
 * retried would run them twice.
 */
function producedByTimer(instance: AwsInstance, taskId: string): boolean {
  return Object.hasOwn(instance.tasks, taskId) && instance.tasks[taskId]!.producedBy.startsWith('timer:');
}

/**
 * Runs `each` over the records: records for the same instance one after the other (in queue
 * order), different instances in parallel. Gives settled results in the records' order, the shape
 * sqs-partial-batch-failure expects.
 */
export async function processBatch<T>(records: SQSRecord[], each: (r: SQSRecord) => Promise<T>): Promise<PromiseSettledResult<T>[]> {
  const results: PromiseSettledResult<T>[] = new Array(records.length);
  const groups = new Map<string, number[]>();
  records.forEach((r, idx) => {
    const key = instanceKey(r.body) ?? `#${idx}`;
    groups.set(key, [...(groups.get(key) ?? []), idx]);
  });
  await Promise.all(
    [...groups.values()].map(async (idxs) => {
      for (const idx of idxs) {
        try {
          results[idx] = { status: 'fulfilled', value: await each(records[idx]!) };
        } catch (reason) {
          results[idx] = { status: 'rejected', reason };
        }
      }
    }),
  );
  return results;
}

/** The instance id of a body, if it has one (grouping only; validation is parseEventMessage's). */
export function instanceKey(body: string): string | undefined {
  try {
    const m = JSON.parse(body) as { instanceId?: unknown };
    return typeof m?.instanceId === 'string' ? m.instanceId : undefined;
  } catch {
    return undefined;
  }
}

function messageType(body: string): unknown {
  try {
    return (JSON.parse(body) as { type?: unknown })?.type;
  } catch {
    return undefined;
  }
}

/**
 * Which queue a record came from: the event queue when its source ARN names the configured event
 * queue, else the result queue (the only other queue the step function consumes). Queue URLs end
 * in the queue's name, as ARNs do.
 */
export function sourceOf(record: Pick<SQSRecord, 'eventSourceARN'>, eventQueueUrl: string): EventSource {
  const name = (s: string, sep: string) => s.slice(s.lastIndexOf(sep) + 1);
  return record.eventSourceARN && name(record.eventSourceARN, ':') === name(eventQueueUrl, '/') ? 'events' : 'results';
}

async function stepRecord(record: SQSRecord): Promise<RecordOutcome> {
  const rt = runtime();
  const info: RecordInfo = { receiveCount: Number(record.attributes?.ApproximateReceiveCount ?? 1), source: sourceOf(record, rt.config.eventQueueUrl) };
  const t0 = performance.now();
  // The record's writes (StepWriteUnits); in benchmark mode also its AWS calls and bytes, and its time.
  const m = newMetrics();
  const out = withDuration(await currentMetrics.run(m, () => processBody(rt.deps, record.body, info)), t0);
  countWriteUnits(m);
  if (!rt.config.metrics) return logged(record, out);
  const ms = performance.now() - t0;
  console.log(`CURRANT_METRICS ${JSON.stringify({ ...out, ms: Math.round(ms * 1000) / 1000, calls: m.calls, bytesWritten: m.bytesWritten, writeUnits: m.writeUnits })}`);
  return logged(record, out);
}

/** What a record's (or a batch's) successful DynamoDB writes cost, in write units (the StepWriteUnits metric). */
function countWriteUnits(m: Metrics): void {
  if (m.writeUnits > 0) tally.countEngine(ENGINE_METRICS.stepWriteUnits, m.writeUnits);
}

/** The record's processing time on the outcomes that saved something (the StepDuration metric). */
function withDuration(out: RecordOutcome, t0: number): RecordOutcome {
  return out.outcome === 'applied' || (out.outcome === 'wake' && out.fired > 0) ? { ...out, durationMs: elapsed(t0) } : out;
}

/**
 * One log line per record with its instance, event and outcome (functions/observability.ts):
 * applied at INFO (each a saved transition), duplicates at INFO, anything unusual at WARN. A
 * refused message also counts `RefusedMessages`.
 */
function logged(record: SQSRecord, out: RecordOutcome): RecordOutcome {
  const fields = { messageId: record.messageId, receiveCount: Number(record.attributes?.ApproximateReceiveCount ?? 1), ...out, instanceId: clip(out.instanceId) };
  if (out.outcome === 'refused') {
    tally.countEngine(ENGINE_METRICS.refusedMessages);
    log('warn', 'message refused and dropped (wrong queue for its type, or a task result without its attempt token)', fields);
  } else if (out.outcome === 'wake' && out.repair && out.result !== 'early' && out.result !== 'parked') {
    // A repair that fired timers repaired the instance, even if it then found it moved on (finished
    // by what those timers started) before it could re-arm.
    const needed = out.result !== 'stale' || out.fired > 0;
    log('warn', needed ? 'instance repaired: the reconciler re-sent its lost wake-up' : 'repair wake-up not needed (the instance had moved on)', fields);
  } else if (out.outcome === 'unknown-instance') log('warn', 'event for an unknown instance dropped', fields);
  else if (out.outcome === 'child') log(out.action === 'refused' || out.action === 'parent-gone' ? 'warn' : 'info', `child workflow ${out.event === 'childStart' ? 'start' : 'cancel'}: ${out.action}`, fields);
  else if (out.outcome === 'duplicate' || (out.outcome === 'wake' && out.result === 'stale')) log('info', 'duplicate event', fields);
  else if (out.outcome === 'applied') log('info', 'event applied', fields);
  else log('info', out.result === 'early' ? 'wake-up not due yet: sent on' : out.result === 'parked' ? 'wake-up parked until nearer its time' : 'wake-up: due timers fired', fields);
  return out;
}

/** An id as logged: a refused or failed message's id was never validated, so it is cut to a sane length. */
function clip(id: string | undefined): string | undefined {
  return id !== undefined && id.length > 256 ? `${id.slice(0, 256)}… (${id.length} chars)` : id;
}

/** StepDuration per saved transition: once per instance for a batch of results applied together. */
function timeSteps(outcomes: RecordOutcome[]): void {
  const seen = new Set<string>();
  for (const o of outcomes) {
    if ((o.outcome !== 'applied' && o.outcome !== 'wake') || o.durationMs === undefined || !o.workflow || seen.has(o.instanceId)) continue;
    seen.add(o.instanceId);
    tally.stepDuration(o.workflow, o.durationMs);
  }
}

/**
 * One invocation's batch (one event source mapping, so one queue): result-queue batches are
 * applied per instance in one load and save (`processResults`); event-queue records one by one.
 */
async function stepBatch(event: SQSEvent): Promise<PromiseSettledResult<RecordOutcome>[]> {
  const rt = runtime();
  const records = event.Records;
  if (records.length === 0 || !records.every((r) => sourceOf(r, rt.config.eventQueueUrl) === 'results')) {
    const settled = await processBatch(records, stepRecord);
    timeSteps(settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : [])));
    return settled;
  }
  const m = newMetrics();
  const t0 = performance.now();
  const settled = await currentMetrics.run(m, () => processResults(rt.deps, records.map((r) => r.body)));
  countWriteUnits(m);
  if (rt.config.metrics) {
    // Benchmark mode: the batch's calls, bytes and time, shared out over its records.
    const share = (n: number) => Math.round((n / records.length) * 1000) / 1000;
    const calls = Object.fromEntries(Object.entries(m.calls).map(([k, v]) => [k, share(v)]));
    for (const r of settled) {
      if (r.status === 'fulfilled') console.log(`CURRANT_METRICS ${JSON.stringify({ ...r.value, ms: share(performance.now() - t0), calls, bytesWritten: share(m.bytesWritten), writeUnits: share(m.writeUnits), batch: records.length })}`);
    }
  }
  settled.forEach((r, k) => r.status === 'fulfilled' && logged(records[k]!, r.value));
  timeSteps(settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : [])));
  return settled;
}

export const handler = middy(stepBatch)
  .use(observability())
  .use(
    sqsPartialBatchFailure({
      logger: (reason: unknown, record: SQSRecord) => {
        tally.countEngine(ENGINE_METRICS.stepErrors);
        log('error', 'event failed; SQS will redeliver it', {
          messageId: record.messageId,
          receiveCount: Number(record.attributes?.ApproximateReceiveCount ?? 1),
          instanceId: clip(instanceKey(record.body)),
          outcome: 'failed',
          error: String((reason as Error)?.stack ?? reason),
        });
      },
    }),
  );
