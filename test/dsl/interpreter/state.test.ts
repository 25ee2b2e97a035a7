/**
 * Saved states keep resuming: states written by earlier and by this interpreter (fixtures, not
 * regenerated) must run on to the same end. If this breaks, the state format or node ids changed:
 * bump STATE_VERSION and add a migration in dsl/interpreter/state.ts instead of editing a fixture.
 * The v1 fixtures were written by the v1 interpreter (main before handles), one per pending kind.
 */
import { describe, expect, it } from 'vitest';
import { resume, upgradeState } from '../../../dsl/interpreter/index.ts';
import type { ExecState } from '../../../dsl/interpreter/types.ts';
import { options, program } from './helpers.ts';

const SOURCE = `task charge(id: string): any
workflow w(ids: string[]) {
  const done = []
  for (const id of ids) {
    if (id === "skip") { continue }
    const r = await charge(id)
    done.push(r.ok)
  }
  const rs = await Promise.allSettled(ids.map(charge), { concurrency: 1 })
  const s = await signal("go", { timeout: "1h" })
  return { done, n: rs.length, s }
}
`;

/** Waiting for charge("b") inside the for...of, after charge("a") gave { ok: 1 }. */
const SAVED_V1 =
  '{"v":1,"programHash":"sha256:0f7675d1c7a8976856667e21b3ebe71385ae4a6c5511a0b4249d0ea1d892df07","status":"waiting",' +
  '"frames":[{"k":"L","n":7,"i":2,"v":{"ids":["a","skip","b"],"done":[1]}},{"k":"O","n":11,"i":3,"xs":["a","skip","b"],"v":{"id":"b"}},' +
  '{"k":"L","n":14,"i":2,"v":{}}],"pending":{"t":"task","id":"n23.s2","a":23,"s":21,"task":"charge"},"seq":2,"signals":{},"at":{"line":6,"col":5}}';

const SOURCE_V1_KINDS = `task t(x: number): number
workflow w(xs: number[]) {
  await sleep("1h")
  const s = await signal("go", { timeout: "1d" })
  const rs = await Promise.all(xs.map(t), { concurrency: 1 })
  return [s, rs]
}
`;
const V1_SLEEP = "{\"v\":1,\"programHash\":\"sha256:7c4832fe0e7aa485b7c0144d6fcf9903bddce4e00a6ff99abfd4e48b9b9c8811\",\"status\":\"waiting\",\"frames\":[{\"k\":\"L\",\"n\":7,\"i\":1,\"v\":{\"xs\":[1,2]}}],\"pending\":{\"t\":\"sleep\",\"id\":\"n9.s1\",\"a\":9,\"s\":8},\"seq\":1,\"signals\":{},\"at\":{\"line\":3,\"col\":3}}";
const V1_SIGNAL = "{\"v\":1,\"programHash\":\"sha256:7c4832fe0e7aa485b7c0144d6fcf9903bddce4e00a6ff99abfd4e48b9b9c8811\",\"status\":\"waiting\",\"frames\":[{\"k\":\"L\",\"n\":7,\"i\":2,\"v\":{\"xs\":[1,2]}}],\"pending\":{\"t\":\"signal\",\"id\":\"n15.s2\",\"a\":15,\"s\":13,\"name\":\"go\",\"timeoutMs\":86400000},\"seq\":2,\"signals\":{},\"at\":{\"line\":4,\"col\":3}}";
const V1_ALL = "{\"v\":1,\"programHash\":\"sha256:7c4832fe0e7aa485b7c0144d6fcf9903bddce4e00a6ff99abfd4e48b9b9c8811\",\"status\":\"waiting\",\"frames\":[{\"k\":\"L\",\"n\":7,\"i\":3,\"v\":{\"xs\":[1,2],\"s\":{\"timedOut\":false,\"payload\":7}}}],\"pending\":{\"t\":\"all\",\"id\":\"n24.s3\",\"a\":24,\"s\":22,\"settled\":false,\"kids\":[null,null],\"st\":[2,1],\"res\":[10,null],\"lim\":1,\"next\":2},\"seq\":3,\"signals\":{},\"at\":{\"line\":5,\"col\":3}}";

const SOURCE_V2 = `task quote(sku: string): number
task undo(sku: string): void
workflow w(skus: string[]) {
  const quotes = skus.map(quote)
  const stop = signal(["stop", "halt"])
  try {
    const first = await Promise.race([Promise.any(quotes), sleep("1h")], { index: true })
    const why = await stop
    const all = await Promise.all(quotes)
    return { first, why, all }
  } finally {
    await undo(skus[0])
  }
}
`;
/** Waiting on a race over `Promise.any(quotes)` and a sleep, with the quotes and a signal handle kept. */
const SAVED_V2 = "{\"v\":2,\"programHash\":\"sha256:f49da67956689d2129c717c2a78f30e09a83d2842c4da69a3ef4b821ca53b682\",\"status\":\"waiting\",\"frames\":[{\"k\":\"L\",\"n\":10,\"i\":3,\"v\":{\"skus\":[\"a\",\"b\"],\"quotes\":[{\"$handle\":\"n13.s1\"},{\"$handle\":\"n13.s2\"}],\"stop\":{\"$handle\":\"n19.s3\"}}},{\"k\":\"T\",\"n\":24,\"p\":0},{\"k\":\"L\",\"n\":25,\"i\":1,\"v\":{}}],\"pending\":{\"t\":\"wait\",\"id\":\"n28.s6\",\"a\":28,\"s\":26},\"seq\":6,\"signals\":{},\"h\":{\"n13.s1\":{\"k\":\"task\",\"a\":13,\"task\":\"quote\",\"o\":1},\"n13.s2\":{\"k\":\"task\",\"a\":13,\"task\":\"quote\",\"o\":1},\"n19.s3\":{\"k\":\"signal\",\"a\":19,\"name\":\"stop\",\"names\":[\"stop\",\"halt\"],\"o\":1},\"n33.s4\":{\"k\":\"combo\",\"a\":33,\"op\":\"any\",\"m\":[{\"h\":\"n13.s1\"},{\"h\":\"n13.s2\"}],\"o\":1},\"n37.s5\":{\"k\":\"sleep\",\"a\":37,\"o\":1},\"n28.s6\":{\"k\":\"combo\",\"a\":28,\"op\":\"race\",\"m\":[{\"h\":\"n33.s4\"},{\"h\":\"n37.s5\"}],\"ix\":1}},\"at\":{\"line\":7,\"col\":5}}";

describe('saved states', () => {
  it('a v1 state resumes to the same end', () => {
    const p = program(SOURCE);
    const o = options();
    let a = resume(p, JSON.parse(SAVED_V1) as ExecState, { type: 'taskCompleted', id: 'n23.s2', result: { ok: 2 } }, o);
    const fan = a.commands.filter((c) => c.type === 'scheduleTask');
    expect(fan.map((c) => [c.id, c.args])).toEqual([['n35.s3.0', ['a']]]);
    for (const [i, id] of ['n35.s3.0', 'n35.s3.1', 'n35.s3.2'].entries()) {
      a = resume(p, a.state, i === 1 ? { type: 'taskFailed', id, failure: { message: 'x', attempts: 1 } } : { type: 'taskCompleted', id, result: i }, o);
    }
    const wait = a.commands.find((c) => c.type === 'waitForSignal');
    expect(wait).toMatchObject({ id: 'n48.s4', name: 'go', timeoutMs: 3_600_000 });
    a = resume(p, a.state, { type: 'signal', name: 'go', payload: 'yes' }, o);
    expect(a.commands).toEqual([
      { type: 'cancelTimer', id: 'n48.s4:timeout' },
      { type: 'complete', result: { done: [1, 2], n: 3, s: { timedOut: false, payload: 'yes' } } },
    ]);
  });

  it('a v1 state waiting on a sleep, a signal with a timeout or a fan-out resumes (migrated to a handle of the same id)', () => {
    const p = program(SOURCE_V1_KINDS);
    const o = options();
    // waiting on the sleep
    let a = resume(p, JSON.parse(V1_SLEEP) as ExecState, { type: 'timerFired', id: 'n9.s1' }, o);
    expect(a.commands.filter((c) => c.type === 'waitForSignal')).toEqual([
      { type: 'waitForSignal', id: 'n15.s2', name: 'go', at: { line: 4, col: 13 }, timeoutMs: 86_400_000 },
    ]);
    // waiting on the signal: the timeout timer of the v1 state still matches
    a = resume(p, JSON.parse(V1_SIGNAL) as ExecState, { type: 'timerFired', id: 'n15.s2:timeout' }, o);
    expect(a.commands.filter((c) => c.type === 'scheduleTask').map((c) => c.id)).toEqual(['n24.s3.0']);
    // waiting on the fan-out with one child done and one in flight
    const v1 = JSON.parse(V1_ALL) as ExecState;
    const before = JSON.stringify(v1);
    a = resume(p, v1, { type: 'taskCompleted', id: 'n24.s3.1', result: 20 }, o);
    expect(JSON.stringify(v1)).toBe(before); // the saved state is not changed
    expect(a.commands).toEqual([{ type: 'complete', result: [{ timedOut: false, payload: 7 }, [10, 20]] }]);
    expect(a.state.v).toBe(2);
    // an event for the v1 id that is not in flight is still ignored
    expect(resume(p, JSON.parse(V1_ALL) as ExecState, { type: 'taskCompleted', id: 'n24.s3.0', result: 1 }, o).ignored).toBeDefined();
  });

  it('upgradeState turns a v1 pending await into a handle and a wait on it', () => {
    const up = upgradeState(JSON.parse(V1_SIGNAL) as ExecState);
    expect(up.v).toBe(2);
    expect(up.pending).toEqual({ t: 'wait', id: 'n15.s2', a: 15, s: 13 });
    expect(up.h).toEqual({ 'n15.s2': { k: 'signal', a: 15, name: 'go', timeoutMs: 86_400_000 } });
  });

  it('a v2 state with handles outstanding inside a try resumes to the same end', () => {
    const p = program(SOURCE_V2);
    const o = options({ instance: { id: 'i-1', startedAt: '2026-01-01T00:00:00.000Z' } });
    let s = JSON.parse(SAVED_V2) as ExecState;
    const feed = (e: Parameters<typeof resume>[2]) => {
      const a = resume(p, s, e, o);
      expect(a.ignored, JSON.stringify(e)).toBeUndefined();
      s = JSON.parse(JSON.stringify(a.state));
      return a;
    };
    // the second quote answers first: any() settles, the race is won by it (index 0)
    feed({ type: 'taskCompleted', id: 'n13.s2', result: 12 });
    // the stop handle was kept: "halt" settles it (several names)
    feed({ type: 'signal', name: 'halt', payload: 'enough' });
    const a = feed({ type: 'taskCompleted', id: 'n13.s1', result: 11 });
    const undo = a.commands.find((c) => c.type === 'scheduleTask')!;
    expect(undo).toMatchObject({ task: 'undo', args: ['a'] });
    const end = feed({ type: 'taskCompleted', id: undo.id, result: null });
    expect(end.commands).toEqual([
      { type: 'complete', result: { first: { index: 0, value: 12 }, why: { name: 'halt', payload: 'enough' }, all: [11, 12] } },
    ]);
  });

  it('refuses a newer format and things that are not states', () => {
    const newer = { ...(JSON.parse(SAVED_V1) as ExecState), v: 99 };
    expect(() => upgradeState(newer)).toThrow(/newer/);
    expect(() => resume(program(SOURCE), newer, { type: 'timerFired', id: 'x' }, options())).toThrow(/newer/);
    expect(() => upgradeState({} as ExecState)).toThrow(/not an interpreter state/);
  });
});
