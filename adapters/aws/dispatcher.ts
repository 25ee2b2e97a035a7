/**
 * `SqsDispatcher`: the runtime's `Dispatcher` port on SQS.
 *
 * Takes an SQS client (created once per module by the caller), the event queue URL and the task
 * queue URLs; carries out a transition's commands:
 *
 *   sendTask      → the task's queue: a `currant.task.v1` message with `replyTo` = the result queue
 *                   and the attempt's `token`; with a blob store, also a URL to store a large result
 *                   and, for arguments over 200 KiB, a URL to read them from (payloads.ts)
 *   scheduleTimer → covered by the instance's one wake-up (wake.ts): sent only when the store's
 *                   save planned a new one due within 15 minutes (a later one is parked for the
 *                   reconciler's sweep), or again on a resend (a duplicate event); for an
 *                   instance without a wake-up (not saved by DynamoStore) a message per timer:
 *                   `{ type: 'timer', instanceId, timerId, fireAt }`. Delays are min(900 s, time
 *                   left); the step function sends early messages again until they are due
 *   cancelTimer   → nothing: SQS cannot recall a delayed message, and a timer that is no longer
 *                   pending is a duplicate when it arrives
 *   finished      → nothing (no one waits in-process on AWS; clients poll GET /instances/{id})
 *
 *   const d = new SqsDispatcher(new SQSClient({}), { eventQueueUrl, resultQueueUrl, taskQueueUrls: { chargeCard: url } });
 *   await d.dispatch(transition.commands, transition.instance);
 *
 * Messages for different queues go out in parallel (a step's wall time is one SendMessage, not
 * one per command); several messages for one queue (fan-out) go in SendMessageBatch calls of ten.
 * Any message SQS does not accept makes `dispatch` throw, so the event is redelivered and its
 * duplicate resends what is still outstanding (consumers de-duplicate).
 */
import { SendMessageBatchCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DispatchCommand, Dispatcher, Instance } from '../../runtime/index.ts';
import { childMessages } from './children.ts';
import { assertNever } from '../../dsl/ast.ts';
import { delaySeconds, MAX_DELAY_SECONDS, taskMessage, timerMessage, wakeMessage } from './messages.ts';
import type { BlobStore } from './blobs.ts';
import { taskRefs, type TaskRefs } from './payloads.ts';
import { wakePlans, type AwsInstance, type Wake, type WakeSender } from './wake.ts';

export interface SqsDispatcherConfig {
  /** The engine's own queue (wake-ups, timers): only engine functions may send to it. */
  eventQueueUrl: string;
  /** Where task functions send results (`replyTo`): the only queue they may send to. */
  resultQueueUrl: string;
  /** Task name → queue URL. */
  taskQueueUrls: Readonly<Record<string, string>>;
  /** The clock for timer delays (default Date.now). */
  nowMs?: () => number;
  /** Where large arguments go, and what signs the result upload URLs (payloads.ts); without it every value travels inline. */
  blobs?: BlobStore;
}

/** One message to send: where, what, how long SQS should hold it. */
export interface Outgoing {
  queueUrl: string;
  body: string;
  delaySeconds: number;
}

/** Largest batch payload we build (SQS's classic 256 KiB limit for a batch's total). */
const MAX_BATCH_BYTES = 256 * 1024;
/** Largest message body SQS takes. */
const MAX_MESSAGE_BYTES = 256 * 1024;

export class SqsDispatcher implements Dispatcher, WakeSender {
  constructor(
    private readonly client: SQSClient,
    private readonly config: SqsDispatcherConfig,
  ) {}

  async dispatch(commands: DispatchCommand[], instance?: Instance): Promise<void> {
    const blobs = this.config.blobs;
    const refs = new Map<DispatchCommand, TaskRefs>();
    if (blobs) {
      await Promise.all(commands.map(async (c) => c.type === 'sendTask' && refs.set(c, await taskRefs(blobs, c))));
    }
    const out = plan(commands, this.config, (this.config.nowMs ?? Date.now)(), timerMode(commands, instance), refs);
    const byQueue = new Map<string, Outgoing[]>();
    for (const m of out) byQueue.set(m.queueUrl, [...(byQueue.get(m.queueUrl) ?? []), m]);
    await Promise.all([...byQueue.entries()].map(([url, msgs]) => this.sendAll(url, msgs)));
  }

  /** Sends an instance's wake-up (the step function's re-arm). */
  async sendWake(instanceId: string, wake: Wake, opts: { repair?: boolean } = {}): Promise<void> {
    const delay = delaySeconds(wake.at, (this.config.nowMs ?? Date.now)());
    const body = JSON.stringify(wakeMessage(instanceId, wake, opts));
    await this.client.send(new SendMessageCommand({ QueueUrl: this.config.eventQueueUrl, MessageBody: body, DelaySeconds: delay }));
  }

  /** Sends the sweep's page of wake-ups, ten to a SendMessageBatch call, each delayed until due. */
  async sendWakes(wakes: { instanceId: string; wake: Wake }[]): Promise<void> {
    const now = (this.config.nowMs ?? Date.now)();
    const msgs = wakes.map(({ instanceId, wake }) => ({
      queueUrl: this.config.eventQueueUrl,
      body: JSON.stringify(wakeMessage(instanceId, wake)),
      delaySeconds: delaySeconds(wake.at, now),
    }));
    if (msgs.length > 0) await this.sendAll(this.config.eventQueueUrl, msgs);
  }

  private async sendAll(queueUrl: string, msgs: Outgoing[]): Promise<void> {
    if (msgs.length === 1) {
      const m = msgs[0]!;
      await this.client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: m.body, DelaySeconds: m.delaySeconds }));
      return;
    }
    await Promise.all(
      batches(msgs).map(async (batch) => {
        const res = await this.client.send(
          new SendMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: batch.map((m, i) => ({ Id: String(i), MessageBody: m.body, DelaySeconds: m.delaySeconds })),
          }),
        );
        if (res.Failed && res.Failed.length > 0) {
          const why = res.Failed.map((f) => `${f.Code}: ${f.Message ?? ''}`).join('; ');
          throw new Error(`SQS refused ${res.Failed.length} of ${batch.length} messages to ${queueUrl}: ${why}`);
        }
      }),
    );
  }
}

/**
 * How timers leave: `perTimer` (a message per scheduleTimer), or `wake` (scheduleTimer commands
 * are covered by the instance's wake-up; `send` is the wake-up to send now, if any).
 */
export type TimerMode = { kind: 'perTimer' } | { kind: 'wake'; instanceId: string; send?: Wake; graceSeconds?: number };

/**
 * Extra delay of a wake-up sent again on a resend. Why: the original is almost always in flight
 * too, with the same id and due time; arriving together they would be processed side by side and
 * the loser's duplicates would re-send fresh tasks. Arriving later, the copy finds the wake-up
 * replaced and is dropped. The price: after a crash between a save and its send, timers fire up
 * to this much late.
 */
export const RESEND_GRACE_SECONDS = 30;

/**
 * Decides the timer mode for a dispatch from what the store noted on the instance object:
 * - saved just now by DynamoStore → its plan (send the new wake-up, or nothing: covered);
 * - not saved just now but carrying a wake-up (a duplicate's resend, a repeated start) → send the
 *   stored wake-up again if the commands name timers (a crash may have lost it; copies die stale),
 *   unless it is parked: then no message carries it and the byPark index still holds it, so there
 *   is nothing to repair (sending it would only make a copy);
 * - no wake-up at all → a message per timer.
 */
export function timerMode(commands: DispatchCommand[], instance: Instance | undefined): TimerMode {
  const inst = instance as AwsInstance | undefined;
  if (!inst) return { kind: 'perTimer' };
  const noted = wakePlans.get(inst);
  if (noted) {
    wakePlans.delete(inst);
    return noted.send && inst.wake ? { kind: 'wake', instanceId: inst.id, send: inst.wake } : { kind: 'wake', instanceId: inst.id };
  }
  if (!inst.wake) return { kind: 'perTimer' };
  if (inst.wake.parked) return { kind: 'wake', instanceId: inst.id };
  return commands.some((c) => c.type === 'scheduleTimer')
    ? { kind: 'wake', instanceId: inst.id, send: inst.wake, graceSeconds: RESEND_GRACE_SECONDS }
    : { kind: 'wake', instanceId: inst.id };
}

/** The messages a list of commands becomes. Pure (the clock and the task messages' references are passed in). */
export function plan(commands: DispatchCommand[], config: SqsDispatcherConfig, nowMs: number, timers: TimerMode = { kind: 'perTimer' }, refs: ReadonlyMap<DispatchCommand, TaskRefs> = new Map()): Outgoing[] {
  const out: Outgoing[] = [];
  if (timers.kind === 'wake' && timers.send) {
    const delay = Math.min(MAX_DELAY_SECONDS, delaySeconds(timers.send.at, nowMs) + (timers.graceSeconds ?? 0));
    out.push({ queueUrl: config.eventQueueUrl, body: JSON.stringify(wakeMessage(timers.instanceId, timers.send)), delaySeconds: delay });
  }
  for (const c of commands) {
    switch (c.type) {
      case 'sendTask': {
        const queueUrl = config.taskQueueUrls[c.task];
        // A deployment fault (the CDK construct refuses workflows whose tasks have no queue).
        if (!queueUrl) throw new Error(`no queue configured for task '${c.task}' (CURRANT_TASK_QUEUE_URLS)`);
        const body = JSON.stringify(taskMessage(c, config.resultQueueUrl, refs.get(c)));
        if (Buffer.byteLength(body, 'utf8') > MAX_MESSAGE_BYTES) {
          // Only without a blob store (with one, large arguments travel as a reference).
          throw new Error(`the task message for ${c.task} (${c.instanceId}/${c.taskId}) takes ${Buffer.byteLength(body, 'utf8')} bytes, over SQS's ${MAX_MESSAGE_BYTES}: configure a blob store (CURRANT_PAYLOAD_BUCKET)`);
        }
        out.push({ queueUrl, body, delaySeconds: 0 });
        break;
      }
      case 'scheduleTimer':
        if (timers.kind === 'perTimer') {
          out.push({ queueUrl: config.eventQueueUrl, body: JSON.stringify(timerMessage(c)), delaySeconds: delaySeconds(c.fireAt, nowMs) });
        }
        break;
      case 'cancelTimer':
      case 'finished':
        break;
      case 'startChild':
      case 'cancelChild':
      case 'notifyParent':
        out.push(...childMessages(c, config));
        break;
      default:
        assertNever(c, 'dispatch command');
    }
  }
  return out;
}

/** Groups messages into SendMessageBatch calls: at most 10 entries and 256 KiB each. */
export function batches(msgs: Outgoing[]): Outgoing[][] {
  const out: Outgoing[][] = [];
  let cur: Outgoing[] = [];
  let bytes = 0;
  for (const m of msgs) {
    const size = Buffer.byteLength(m.body, 'utf8');
    if (cur.length > 0 && (cur.length === 10 || bytes + size > MAX_BATCH_BYTES)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(m);
    bytes += size;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}
