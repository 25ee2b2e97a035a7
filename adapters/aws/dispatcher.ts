/**
 * `SqsDispatcher`: the runtime's `Dispatcher` port on SQS.
 *
 * Takes an SQS client (created once per module by the caller), the event queue URL and the task
 * queue URLs; carries out a transition's commands:
 *
 *   sendTask      → the task's queue: a `currant.task.v1` message with `replyTo` = the event queue
 *   scheduleTimer → the event queue: `{ type: 'timer', instanceId, timerId, fireAt }`, delayed by
 *                   min(900 s, time left); the step function re-sends it until it is due
 *   cancelTimer   → nothing: SQS cannot recall a delayed message, and a timer that is no longer
 *                   pending is a duplicate when it arrives
 *   finished      → nothing (no one waits in-process on AWS; clients poll GET /instances/{id})
 *
 *   const d = new SqsDispatcher(new SQSClient({}), { eventQueueUrl, taskQueueUrls: { chargeCard: url } });
 *   await d.dispatch(transition.commands, transition.instance);
 *
 * Messages for different queues go out in parallel (a step's wall time is one SendMessage, not
 * one per command); several messages for one queue (fan-out) go in SendMessageBatch calls of ten.
 * Any message SQS does not accept makes `dispatch` throw, so the event is redelivered and its
 * duplicate resends what is still outstanding (consumers de-duplicate).
 */
import { SendMessageBatchCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DispatchCommand, Dispatcher, Instance } from '../../runtime/index.ts';
import { assertNever } from '../../dsl/ast.ts';
import { delaySeconds, taskMessage, timerMessage, type EventMessage } from './messages.ts';

export interface SqsDispatcherConfig {
  eventQueueUrl: string;
  /** Task name → queue URL. */
  taskQueueUrls: Readonly<Record<string, string>>;
  /** The clock for timer delays (default Date.now). */
  nowMs?: () => number;
}

/** One message to send: where, what, how long SQS should hold it. */
export interface Outgoing {
  queueUrl: string;
  body: string;
  delaySeconds: number;
}

/** Largest batch payload we build (SQS's classic 256 KiB limit for a batch's total). */
const MAX_BATCH_BYTES = 256 * 1024;

export class SqsDispatcher implements Dispatcher {
  constructor(
    private readonly client: SQSClient,
    private readonly config: SqsDispatcherConfig,
  ) {}

  async dispatch(commands: DispatchCommand[], _instance?: Instance): Promise<void> {
    const out = plan(commands, this.config, (this.config.nowMs ?? Date.now)());
    const byQueue = new Map<string, Outgoing[]>();
    for (const m of out) byQueue.set(m.queueUrl, [...(byQueue.get(m.queueUrl) ?? []), m]);
    await Promise.all([...byQueue.entries()].map(([url, msgs]) => this.sendAll(url, msgs)));
  }

  /** Puts one message on the event queue (the api's signals). */
  async sendEvent(message: EventMessage): Promise<void> {
    await this.client.send(new SendMessageCommand({ QueueUrl: this.config.eventQueueUrl, MessageBody: JSON.stringify(message) }));
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

/** The messages a list of commands becomes. Pure (the clock is passed in). */
export function plan(commands: DispatchCommand[], config: SqsDispatcherConfig, nowMs: number): Outgoing[] {
  const out: Outgoing[] = [];
  for (const c of commands) {
    switch (c.type) {
      case 'sendTask': {
        const queueUrl = config.taskQueueUrls[c.task];
        // A deployment fault (the CDK construct refuses workflows whose tasks have no queue).
        if (!queueUrl) throw new Error(`no queue configured for task '${c.task}' (CURRANT_TASK_QUEUE_URLS)`);
        out.push({ queueUrl, body: JSON.stringify(taskMessage(c, config.eventQueueUrl)), delaySeconds: 0 });
        break;
      }
      case 'scheduleTimer':
        out.push({ queueUrl: config.eventQueueUrl, body: JSON.stringify(timerMessage(c)), delaySeconds: delaySeconds(c.fireAt, nowMs) });
        break;
      case 'cancelTimer':
      case 'finished':
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
