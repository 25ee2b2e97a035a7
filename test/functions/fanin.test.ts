// Fan-in: the step function applies a batch of one instance's task results with one load and one
// conditional save (runtime `advanceBatch` through `processResults`), over the memory store.
import { readFileSync } from 'node:fs';
import { beforeEach, describe, expect, it } from 'vitest';
import { PoisonMessageError, processResults } from '../../functions/step.ts';
import { advanceBatch, MemoryStore, ProgramCache, RecordingDispatcher, startWorkflow, VersionConflictError, type DispatchCommand, type Instance, type RuntimeDeps } from '../../runtime/index.ts';

const fanin = readFileSync(new URL('../../examples/fanin/fanin.workflow', import.meta.url), 'utf8');

class CountingStore extends MemoryStore {
  loads = 0;
  saves = 0;
  conflictsLeft = 0;
  override async load(id: string) {
    this.loads++;
    return super.load(id);
  }
  override async save(i: Instance, expected: number) {
    this.saves++;
    if (this.conflictsLeft > 0) {
      this.conflictsLeft--;
      throw new VersionConflictError(i.id, expected);
    }
    return super.save(i, expected);
  }
}

let store: CountingStore;
let dispatcher: RecordingDispatcher;
let deps: RuntimeDeps;

beforeEach(() => {
  store = new CountingStore();
  dispatcher = new RecordingDispatcher();
  let n = 0;
  deps = { store, dispatcher, programs: new ProgramCache(store), clock: { now: () => new Date(Date.parse('2026-01-01T00:00:00.000Z') + n), uuid: () => `u${++n}` } };
});

type SendTask = Extract<DispatchCommand, { type: 'sendTask' }>;
const resultBody = (t: SendTask, result: unknown, token = t.token) =>
  JSON.stringify({ protocol: 'currant.result.v1', type: 'taskResult', instanceId: t.instanceId, taskId: t.taskId, attempt: t.attempt, token, ok: true, result });

async function startFanin(count: number): Promise<SendTask[]> {
  await startWorkflow(deps, { source: fanin, file: 'fanin.workflow' }, { items: Array.from({ length: count }, (_, k) => k + 1) }, { id: 'f1' });
  return dispatcher.take().filter((c): c is SendTask => c.type === 'sendTask');
}

describe('processResults', () => {
  it('applies ten results of one instance with one load and one save', async () => {
    const tasks = await startFanin(30);
    expect(tasks).toHaveLength(30);
    store.loads = store.saves = 0;
    const settled = await processResults(deps, tasks.slice(0, 10).map((t, k) => resultBody(t, (k + 1) ** 2)));
    expect(settled.every((s) => s.status === 'fulfilled' && s.value.outcome === 'applied')).toBe(true);
    expect({ loads: store.loads, saves: store.saves }).toEqual({ loads: 1, saves: 1 });
    const i = (await store.load('f1'))!;
    expect(Object.keys(i.tasks)).toHaveLength(20);
    expect(i.version).toBe(11); // one version per result, as one by one
  });

  it('completes a 300-way fan-in in 30 saves (0.1 writes per result), the result as one by one', async () => {
    const tasks = await startFanin(300);
    store.saves = 0;
    for (let k = 0; k < tasks.length; k += 10) {
      const settled = await processResults(deps, tasks.slice(k, k + 10).map((t) => resultBody(t, (Number(t.args[0]) as number) ** 2)));
      expect(settled.every((s) => s.status === 'fulfilled')).toBe(true);
    }
    expect(store.saves).toBe(30);
    const done = (await store.load('f1'))!;
    expect(done).toMatchObject({ status: 'completed', result: { count: 300, sum: (300 * 301 * 601) / 6 } });
  });

  it('settles refused, malformed, duplicate and applied results each in place', async () => {
    const [a, b] = await startFanin(3);
    await processResults(deps, [resultBody(a!, 1)]);
    dispatcher.take();
    const settled = await processResults(deps, [resultBody(a!, 1), resultBody(b!, 4, 'forged'), '{"type":"taskResult"}', resultBody(b!, 4)]);
    expect(settled[0]).toMatchObject({ status: 'fulfilled', value: { outcome: 'duplicate' } });
    expect(settled[1]).toMatchObject({ status: 'fulfilled', value: { outcome: 'refused' } });
    expect(settled[2]).toMatchObject({ status: 'rejected', reason: expect.any(PoisonMessageError) });
    expect(settled[3]).toMatchObject({ status: 'fulfilled', value: { outcome: 'applied' } });
  });

  it('reloads and re-applies the whole batch after a version conflict', async () => {
    const tasks = await startFanin(5);
    store.conflictsLeft = 2;
    store.saves = 0;
    const settled = await processResults(deps, tasks.map((t) => resultBody(t, 1)));
    expect(settled.every((s) => s.status === 'fulfilled' && s.value.outcome === 'applied')).toBe(true);
    expect(store.saves).toBe(3);
    expect((await store.load('f1'))!).toMatchObject({ status: 'completed', result: { count: 5, sum: 5 } });
  });

  it('answers results for an unknown instance as such, without failing the others', async () => {
    const [a] = await startFanin(2);
    const ghost = { ...a!, instanceId: 'ghost' };
    const settled = await processResults(deps, [resultBody(ghost, 1), resultBody(a!, 1)]);
    expect(settled.map((s) => s.status === 'fulfilled' && s.value.outcome)).toEqual(['unknown-instance', 'applied']);
  });
});

describe('advanceBatch', () => {
  it('leaves the same instance as advance one by one (its maps change in place after the first event)', async () => {
    const { advance } = await import('../../runtime/index.ts');
    const tasks = await startFanin(40);
    const other = new MemoryStore();
    other.instances.set('f1', store.instances.get('f1')!);
    const depsB = { ...deps, store: other, dispatcher: new RecordingDispatcher() };
    const ev = (t: SendTask) => ({ type: 'taskResult' as const, id: `${t.taskId}#1`, taskId: t.taskId, attempt: 1, token: t.token, ok: true as const, result: 3 });
    // a duplicate and a forged one among them
    const events = [...tasks.slice(0, 20).map(ev), ev(tasks[3]!), { ...ev(tasks[25]!), token: 'forged' }, ...tasks.slice(20).map(ev)];
    for (let k = 0; k < events.length; k += 7) await advanceBatch(deps, 'f1', events.slice(k, k + 7));
    for (const e of events) await advance(depsB, 'f1', e);
    const a = (await store.load('f1'))!;
    const b = (await other.load('f1'))!;
    expect(a).toMatchObject({ status: 'completed', result: { count: 40, sum: 120 } });
    expect({ ...a, updatedAt: 0, steps: a.steps.map((s) => ({ ...s, at: 0, latencyMs: 0 })) }).toEqual({ ...b, updatedAt: 0, steps: b.steps.map((s) => ({ ...s, at: 0, latencyMs: 0 })) });
  });

  it('gives each event the result advance would, and resends for a duplicate what it produced', async () => {
    const [a, b] = await startFanin(2);
    const ev = (t: SendTask, r: number) => ({ type: 'taskResult' as const, id: `${t.taskId}#1`, taskId: t.taskId, attempt: 1, token: t.token, ok: true as const, result: r });
    const results = await advanceBatch(deps, 'f1', [ev(a!, 1), ev(a!, 1), ev(b!, 4)]);
    expect(results.map((r) => r.duplicate)).toEqual([false, true, false]);
    expect(results[2]!.instance).toMatchObject({ status: 'completed', result: { count: 2, sum: 5 } });
  });
});
