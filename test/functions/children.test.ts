/**
 * Child workflows through the step function's record processing (functions/children.ts) over the
 * in-memory store: each dispatched command becomes the event-queue message the SQS dispatcher
 * would send (adapters/aws/dispatcher.ts `plan`), and those messages are processed in turn, as the
 * step function would receive them. (The same on DynamoDB/SQS: infra-test/engine.test.ts.)
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { plan } from '../../adapters/aws/dispatcher.ts';
import { parseEventMessage } from '../../adapters/aws/messages.ts';
import { processBody, type StepDeps } from '../../functions/step.ts';
import { MemoryStore, ProgramCache, RecordingDispatcher, startWorkflow, type DispatchCommand } from '../../runtime/index.ts';

const CHILD = { file: 'child.workflow', source: `workflow child(n: number): number { if (n < 0) { throw new Error("negative") } await sleep("1h"); return n * 2 }` };
const PARENT = { file: 'parent.workflow', source: `workflow parent(n: number): any {
  try { return await workflows.child({ n }) } catch (e) { return { code: e.code, type: e.type, message: e.message } }
}` };
const DEPLOYMENT = new Map([['child', CHILD], ['parent', PARENT]]);
const config = { eventQueueUrl: 'https://sqs/events', resultQueueUrl: 'https://sqs/results', taskQueueUrls: {} };

let deps: StepDeps;
let dispatcher: RecordingDispatcher;
let store: MemoryStore;
let nowMs: number;

beforeEach(() => {
  store = new MemoryStore();
  dispatcher = new RecordingDispatcher();
  nowMs = Date.parse('2026-01-01T00:00:00.000Z');
  let n = 0;
  deps = { store, dispatcher, programs: new ProgramCache(store), clock: { now: () => new Date(nowMs), uuid: () => `u${++n}` }, workflows: (name) => DEPLOYMENT.get(name) };
});

/** The event-queue bodies of the commands dispatched so far (timers left out: they are fired by hand). */
function messages(): string[] {
  const cmds = dispatcher.take().filter((c: DispatchCommand) => c.type !== 'scheduleTimer' && c.type !== 'cancelTimer');
  return plan(cmds, config, nowMs).map((m) => m.body);
}

/** Processes queued messages until none are left; gives every body processed. */
async function drain(): Promise<string[]> {
  const seen: string[] = [];
  for (let q = messages(); q.length > 0; q = messages()) {
    for (const body of q) {
      seen.push(body);
      await processBody(deps, body, { source: 'events' });
    }
  }
  return seen;
}

describe('child workflows on the AWS step function', () => {
  it('a childStart message starts the child; its end comes back to the parent as a childResult message', async () => {
    await startWorkflow(deps, PARENT, { n: 2 }, { id: 'p1' });
    const sent = await drain();
    expect(sent.map((b) => JSON.parse(b).type)).toEqual(['childStart']);
    const parent = await store.load('p1');
    const [handle, ref] = Object.entries(parent!.children!)[0]!;
    const child = await store.load(ref.id);
    expect(child).toMatchObject({ id: `p1:${handle}`, workflow: 'child', status: 'waiting', parent: { id: 'p1', handle } });
    // the child's sleep is over: it completes and reports
    nowMs += 3_600_000;
    const timerId = Object.keys(child!.timers)[0]!;
    await processBody(deps, JSON.stringify({ type: 'timer', instanceId: child!.id, timerId, fireAt: child!.timers[timerId]!.fireAt }), { source: 'events' });
    const back = await drain();
    expect(back.map((b) => JSON.parse(b).type)).toEqual(['childResult']);
    expect(await store.load('p1')).toMatchObject({ status: 'completed', result: 4 });
    // the same messages again (SQS at least once): nothing changes, no second child
    const before = await store.load('p1');
    for (const b of [...sent, ...back]) await processBody(deps, b, { source: 'events' });
    expect((await store.load('p1'))!.version).toBe(before!.version);
    expect((await store.list({ workflow: 'child' })).items).toHaveLength(1);
  });

  it('a failed child raises CR040 in the parent, with the child code as type', async () => {
    await startWorkflow(deps, PARENT, { n: -1 }, { id: 'p2' });
    await drain();
    expect((await store.load('p2'))!.result).toMatchObject({ code: 'CR040', type: 'CR017' });
  });

  it('refusals are failures at the await, never dropped: not deployed (CR041), no deployment (CR044)', async () => {
    await startWorkflow(deps, { file: 'x.workflow', source: `workflow x(): any { try { return await workflows.nope({}) } catch (e) { return e.type } }` }, {}, { id: 'x1' });
    await drain();
    expect((await store.load('x1'))!.result).toBe('CR041');
    delete deps.workflows;
    await startWorkflow(deps, PARENT, { n: 1 }, { id: 'x2' });
    const out = await processBody(deps, messages()[0]!, { source: 'events' });
    expect(out).toMatchObject({ outcome: 'child', action: 'refused', code: 'CR044' });
    expect((await store.load('x2'))!.result).toMatchObject({ code: 'CR040', type: 'CR044' });
  });

  it('cancelling the parent sends a childCancel that cancels the child', async () => {
    await startWorkflow(deps, PARENT, { n: 3 }, { id: 'p3' });
    await drain();
    const childId = Object.values((await store.load('p3'))!.children!)[0]!.id;
    const { cancelInstance } = await import('../../runtime/index.ts');
    await cancelInstance(deps, 'p3', 'stop');
    const sent = await drain();
    expect(sent.map((b) => JSON.parse(b).type)).toContain('childCancel');
    expect(await store.load(childId)).toMatchObject({ status: 'cancelled' });
    expect((await store.load('p3'))!.status).toBe('cancelled');
  });

  it('child messages are only accepted on the event queue and are validated', () => {
    const start = JSON.stringify({ type: 'childStart', instanceId: 'p', handle: 'n1.s1', childId: 'p:n1.s1', workflow: 'child', input: { n: 1 } });
    expect(parseEventMessage(start, 'results')).toMatchObject({ ok: false, refused: true });
    expect(parseEventMessage(start, 'events')).toMatchObject({ ok: true });
    const bad = JSON.stringify({ type: 'childResult', instanceId: 'p', handle: 'n1.s1', childId: 'c', ok: false, failure: { status: 'weird' } });
    expect(parseEventMessage(bad, 'events')).toMatchObject({ ok: false });
    expect(parseEventMessage(JSON.stringify({ type: 'childStart', instanceId: 'p', childId: 'c', handle: 'h', workflow: 'w', input: [1] }), 'events')).toMatchObject({ ok: false });
  });
});
