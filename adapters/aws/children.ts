/**
 * Child workflows on AWS: the event-queue messages that carry `startChild`, `cancelChild` and
 * `notifyParent` between step activations, and their validation. Pure.
 *
 *   childMessages({ type: 'startChild', instanceId: 'o1', handle: 'n8.s1', childId: 'o1:n8.s1', workflow: 'charge', input }, cfg)
 *   // => [{ queueUrl: eventQueue, body: '{"type":"childStart","instanceId":"o1",…}', delaySeconds: 0 }]
 *   parseChildMessage(obj)   // => { ok: true, message } | { ok: false, problems }
 *
 * On the event queue (only the engine's functions may send there, docs/protocol.md):
 *   { "type": "childStart",  "instanceId": <parent>, "handle", "childId", "workflow", "input", "detached"? }
 *   { "type": "childCancel", "instanceId": <parent>, "childId", "reason" }
 *   { "type": "childResult", "instanceId": <parent>, "handle", "childId", "ok", "result" | "failure" }
 * The step function carries out the first two through runtime/children.ts (`startChild`,
 * `cancelChild`) and applies the third to the parent as a `childResult` event (id `child:<childId>`).
 */
import { eventIds, type ChildFailure, type ChildResultEvent, type DispatchCommand, type Value } from '../../runtime/index.ts';

export interface ChildStartMessage {
  type: 'childStart';
  instanceId: string;
  handle: string;
  childId: string;
  workflow: string;
  input: Value;
  detached?: true;
}
export interface ChildCancelMessage {
  type: 'childCancel';
  instanceId: string;
  childId: string;
  reason: string;
}
export type ChildResultMessage = { type: 'childResult'; instanceId: string; handle: string; childId: string } & ({ ok: true; result: Value } | { ok: false; failure: ChildFailure });
export type ChildMessage = ChildStartMessage | ChildCancelMessage | ChildResultMessage;

export const CHILD_MESSAGE_TYPES: readonly string[] = ['childStart', 'childCancel', 'childResult'];

type ChildCommand = Extract<DispatchCommand, { type: 'startChild' | 'cancelChild' | 'notifyParent' }>;

/** The event-queue message of a child command (sent at once). */
export function childMessages(c: ChildCommand, config: { eventQueueUrl: string }): { queueUrl: string; body: string; delaySeconds: number }[] {
  let m: ChildMessage;
  switch (c.type) {
    case 'startChild':
      m = { type: 'childStart', instanceId: c.instanceId, handle: c.handle, childId: c.childId, workflow: c.workflow, input: c.input };
      if (c.detached) m.detached = true;
      break;
    case 'cancelChild':
      m = { type: 'childCancel', instanceId: c.instanceId, childId: c.childId, reason: c.reason };
      break;
    case 'notifyParent': {
      const e = c.event;
      m = e.ok
        ? { type: 'childResult', instanceId: c.parentId, handle: e.handle, childId: e.childId, ok: true, result: e.result }
        : { type: 'childResult', instanceId: c.parentId, handle: e.handle, childId: e.childId, ok: false, failure: e.failure };
      break;
    }
  }
  return [{ queueUrl: config.eventQueueUrl, body: JSON.stringify(m), delaySeconds: 0 }];
}

const isText = (x: unknown): x is string => typeof x === 'string' && x.length > 0 && x.length <= 1024;
const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Validates a child message (its `type` is one of CHILD_MESSAGE_TYPES and `instanceId` was checked). */
export function parseChildMessage(m: Record<string, unknown>): { ok: true; message: ChildMessage } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const need = (ok: boolean, problem: string) => {
    if (!ok) problems.push(problem);
  };
  need(isText(m.childId), 'childId must be a non-empty string');
  switch (m.type) {
    case 'childStart':
      need(isText(m.handle), 'handle must be a non-empty string');
      need(isText(m.workflow), 'workflow must be a non-empty string');
      need(isObject(m.input), 'input must be an object');
      need(m.detached === undefined || m.detached === true, 'detached must be true when present');
      break;
    case 'childCancel':
      need(typeof m.reason === 'string', 'reason must be a string');
      break;
    case 'childResult':
      need(isText(m.handle), 'handle must be a non-empty string');
      need(typeof m.ok === 'boolean', 'ok must be a boolean');
      if (m.ok === true) need('result' in m, 'a completed child needs "result"');
      if (m.ok === false) {
        const f = m.failure;
        need(isObject(f) && (f.status === 'failed' || f.status === 'cancelled') && typeof f.code === 'string' && typeof f.message === 'string', 'a failed child needs "failure": { status, code, message }');
      }
      break;
    default:
      problems.push(`not a child message: ${JSON.stringify(m.type)}`);
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, message: m as unknown as ChildMessage };
}

/** The parent's runtime event of a `childResult` message. */
export function childResultEvent(m: ChildResultMessage): ChildResultEvent {
  const base = { type: 'childResult' as const, id: eventIds.child(m.childId), handle: m.handle, childId: m.childId };
  return m.ok ? { ...base, ok: true, result: m.result ?? null } : { ...base, ok: false, failure: { status: m.failure.status, code: m.failure.code, message: m.failure.message } };
}
