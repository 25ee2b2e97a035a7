/**
 * Saved states keep resuming: a v1 state written by this interpreter (a fixture, not regenerated)
 * must run on to the same end. If this breaks, the state format or node ids changed: bump
 * STATE_VERSION and add a migration in dsl/interpreter/state.ts instead of editing the fixture.
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

  it('refuses a newer format and things that are not states', () => {
    const newer = { ...(JSON.parse(SAVED_V1) as ExecState), v: 99 };
    expect(() => upgradeState(newer)).toThrow(/newer/);
    expect(() => resume(program(SOURCE), newer, { type: 'timerFired', id: 'x' }, options())).toThrow(/newer/);
    expect(() => upgradeState({} as ExecState)).toThrow(/not an interpreter state/);
  });
});
