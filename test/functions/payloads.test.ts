// The step function with results stored aside (adapters/aws/payloads.ts): a 5 MB task result
// comes back as a reference, is read from the one key of its attempt and resumes the workflow; a
// forged reference (wrong token) changes nothing. Handles: a raced task's large result, a loser's
// late stored result (its handle settles, nothing moves), an abandoned attempt's (a duplicate).
import { beforeEach, describe, expect, it } from 'vitest';
import { processBody, processResults, type StepDeps } from '../../functions/step.ts';
import { blobKeys, MemoryBlobStore } from '../../adapters/aws/blobs.ts';
import { cancelInstance, MemoryStore, ProgramCache, RecordingDispatcher, signalInstance, startWorkflow, type DispatchCommand } from '../../runtime/index.ts';

const SOURCE = `task big(n: number): string
task size(s: string): number

workflow bulky(n: number): number {
  const s = await big(n)
  const k = await size(s)
  return k + s.length
}
`;

type SendTask = Extract<DispatchCommand, { type: 'sendTask' }>;
let deps: StepDeps;
let dispatcher: RecordingDispatcher;
let blobs: MemoryBlobStore;

beforeEach(() => {
  const store = new MemoryStore();
  dispatcher = new RecordingDispatcher();
  blobs = new MemoryBlobStore();
  let n = 0;
  deps = { store, dispatcher, blobs, programs: new ProgramCache(store), clock: { now: () => new Date(), uuid: () => `u${++n}` } };
});

const refBody = (t: SendTask, token = t.token) =>
  JSON.stringify({ protocol: 'currant.result.v1', type: 'taskResult', instanceId: t.instanceId, taskId: t.taskId, attempt: t.attempt, token, ok: true, resultRef: { bytes: 5 * 1024 * 1024 } });

describe('results stored aside', () => {
  it('a 5 MB result stored by the task resumes the workflow, which passes it on as an argument', async () => {
    await startWorkflow(deps, { source: SOURCE, file: 'bulky.workflow' }, { n: 5 * 1024 * 1024 }, { id: 'b1' });
    const [t] = dispatcher.take().filter((c): c is SendTask => c.type === 'sendTask');
    const five = 'r'.repeat(5 * 1024 * 1024);
    // What the task SDK does with its message's resultUpload URL: PUT the result's JSON there.
    await blobs.put(blobKeys.result('b1', t!.taskId, 1), JSON.stringify(five));
    const [settled] = await processResults(deps, [refBody(t!)]);
    expect(settled).toMatchObject({ status: 'fulfilled', value: { outcome: 'applied' } });
    const [next] = dispatcher.take().filter((c): c is SendTask => c.type === 'sendTask');
    expect(next).toMatchObject({ task: 'size', args: [five] });
    // the single-record path reads it the same way
    await blobs.put(blobKeys.result('b1', next!.taskId, 1), '7');
    expect(await processBody(deps, refBody(next!))).toMatchObject({ outcome: 'applied', status: 'completed' });
    expect((await deps.store.load('b1'))!.result).toBe(7 + five.length);
  });

  it('a forged reference (wrong token) is refused and changes nothing', async () => {
    await startWorkflow(deps, { source: SOURCE, file: 'bulky.workflow' }, { n: 1 }, { id: 'b2' });
    const [t] = dispatcher.take().filter((c): c is SendTask => c.type === 'sendTask');
    await blobs.put(blobKeys.result('b2', t!.taskId, 1), JSON.stringify('evil'));
    const before = await deps.store.load('b2');
    const [settled] = await processResults(deps, [refBody(t!, 'AAAAAAAAAAAAAAAAAAAAAA')]);
    expect(settled).toMatchObject({ status: 'fulfilled', value: { outcome: 'refused' } });
    expect(await deps.store.load('b2')).toEqual(before);
  });

  it('a reference whose blob is missing is a failed attempt, retried by the policy', async () => {
    await startWorkflow(deps, { source: SOURCE, file: 'bulky.workflow' }, { n: 1 }, { id: 'b3' });
    const [t] = dispatcher.take().filter((c): c is SendTask => c.type === 'sendTask');
    await processResults(deps, [refBody(t!)]);
    const i = (await deps.store.load('b3'))!;
    expect(i.tasks[t!.taskId]).toMatchObject({ attempt: 1, retryAt: expect.any(String), lastError: { type: 'RESULT_MISSING' } });
  });

  it('handles: a raced task wins with a 5 MB result stored aside; the loser\'s late stored result settles its handle and moves nothing', async () => {
    const RACE = `task big(n: number): string
task slow(n: number): string

workflow raced(n: number): number {
  const a = big(n)
  const b = slow(n)
  const s = await Promise.race([a, b])
  const more = await signal("more")
  return s.length + more.length
}
`;
    await startWorkflow(deps, { source: RACE, file: 'raced.workflow' }, { n: 5 }, { id: 'h1' });
    const [big, slow] = dispatcher.take().filter((c): c is SendTask => c.type === 'sendTask');
    expect([big!.task, slow!.task]).toEqual(['big', 'slow']);
    const five = 'h'.repeat(5 * 1024 * 1024);
    await blobs.put(blobKeys.result('h1', big!.taskId, 1), JSON.stringify(five));
    expect((await processResults(deps, [refBody(big!)]))[0]).toMatchObject({ status: 'fulfilled', value: { outcome: 'applied', status: 'running' } });
    // The loser answers later, its result stored aside too: its handle settles, the workflow
    // (waiting for "more") does not move and sends nothing.
    await blobs.put(blobKeys.result('h1', slow!.taskId, 1), JSON.stringify('late'));
    dispatcher.take();
    expect((await processResults(deps, [refBody(slow!)]))[0]).toMatchObject({ status: 'fulfilled', value: { outcome: 'applied', status: 'waiting' } });
    expect(dispatcher.take().filter((c) => c.type === 'sendTask')).toEqual([]);
    expect((await deps.store.load('h1'))!.tasks).toEqual({});
    // A 2 MB signal payload completes it.
    const two = 's'.repeat(2 * 1024 * 1024);
    const r = await signalInstance(deps, 'h1', 'more', two);
    expect(r.instance).toMatchObject({ status: 'completed', result: five.length + two.length });
  });

  it('cancel: an abandoned attempt\'s late result stored aside changes nothing', async () => {
    await startWorkflow(deps, { source: SOURCE, file: 'bulky.workflow' }, { n: 1 }, { id: 'h2' });
    const [t] = dispatcher.take().filter((c): c is SendTask => c.type === 'sendTask');
    expect((await cancelInstance(deps, 'h2', 'stop')).instance.status).toBe('cancelled');
    await blobs.put(blobKeys.result('h2', t!.taskId, 1), JSON.stringify('x'.repeat(300 * 1024)));
    const before = await deps.store.load('h2');
    expect((await processResults(deps, [refBody(t!)]))[0]).toMatchObject({ status: 'fulfilled', value: { outcome: 'duplicate' } });
    expect(await deps.store.load('h2')).toEqual(before);
  });
});
