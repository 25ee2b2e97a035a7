/**
 * Child workflows on the embedded engine (runtime core + SQLite + in-process dispatcher): awaited
 * and detached children, failures and refusals raised in the parent, cancel cascading to awaited
 * children only, idempotent starts after a restart, and the parent/children views.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createEngine, type Engine, type EngineOptions } from '../../../adapters/embedded/index.ts';
import { instanceView } from '../../../runtime/view.ts';

const dir = mkdtempSync(join(tmpdir(), 'currant-children-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const open: Engine[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((e) => e.close()));
});

const CHARGE = {
  file: 'charge.workflow',
  source: `task pay(orderId: string, amount: number): string with { retries: 0 }
workflow charge(orderId: string, amount: number): { paymentId: string } {
  const paymentId = await pay(orderId, amount)
  return { paymentId }
}`,
};
const SLOW = {
  file: 'slow.workflow',
  source: `workflow slow(name: string): string {
  try { await sleep("1h") } finally { }
  return name
}`,
};
const PARENT = {
  file: 'parent.workflow',
  source: `workflow parent(orderId: string, amount: number): any {
  try {
    const r = await workflows.charge({ orderId, amount })
    return { ok: r.paymentId }
  } catch (e) {
    return { caught: e.code, type: e.type, name: e.name, childId: e.childId, message: e.message }
  }
}`,
};
const deployment = [CHARGE, SLOW, PARENT];
const tasks = {
  pay: async (orderId: string, amount: number) => {
    if (amount > 100) throw Object.assign(new Error('declined'), { name: 'CardDeclined', retryable: false });
    return `pay-${orderId}`;
  },
};

/** The id of the (first) child of `workflow` the parent recorded. */
async function childOf(e: Engine, parent: string, workflow: string): Promise<{ id: string; handle: string }> {
  const kids = Object.entries((await e.get(parent)).children ?? {}).filter(([, c]) => c.workflow === workflow && !c.detached);
  expect(kids.length, `children of ${parent}`).toBe(1);
  return { id: kids[0]![1].id, handle: kids[0]![0] };
}

async function engine(opts: EngineOptions = {}): Promise<Engine> {
  const e = await createEngine({ dbPath: ':memory:', tasks, workflows: deployment, ...opts });
  open.push(e);
  return e;
}

describe('child workflows on the embedded engine', () => {
  it('an awaited child runs as its own instance with a deterministic id; its result comes back', async () => {
    const e = await engine();
    const done = await e.run(PARENT, { orderId: 'o1', amount: 5 }, { id: 'p1' });
    expect(done).toMatchObject({ status: 'completed', result: { ok: 'pay-o1' } });
    const { id, handle } = await childOf(e, 'p1', 'charge');
    expect(id).toBe(`p1:${handle}`);
    expect(handle).toMatch(/^n\d+\.s1$/);
    const child = await e.get(id);
    expect(child).toMatchObject({ workflow: 'charge', status: 'completed', input: { orderId: 'o1', amount: 5 }, parent: { id: 'p1', handle }, result: { paymentId: 'pay-o1' } });
    const view = instanceView(await e.get('p1'));
    expect(view.children).toEqual([expect.objectContaining({ id, workflow: 'charge', status: 'completed', line: 3 })]);
    expect(instanceView(child).parent).toEqual({ id: 'p1', awaited: true });
    const listed = await e.list({ workflow: 'charge' });
    expect(listed.items.map((s) => [s.id, s.parent])).toEqual([[id, 'p1']]);
    expect((await e.get('p1')).steps.map((s) => s.outcome)).toEqual(
      expect.arrayContaining([`started workflow charge as ${id}`, `workflow charge (${id}) completed`]),
    );
  });

  it("a failed child raises a catchable ChildWorkflowError in the parent (code CR040, type = the child's code)", async () => {
    const e = await engine();
    const done = await e.run(PARENT, { orderId: 'o2', amount: 500 }, { id: 'p2' });
    expect(done.status).toBe('completed');
    const { id } = await childOf(e, 'p2', 'charge');
    expect(done.result).toMatchObject({ caught: 'CR040', type: 'CR007', name: 'ChildWorkflowError', childId: id });
    expect((done.result as { message: string }).message).toContain('declined');
    expect((await e.get(id)).status).toBe('failed');
  });

  it('an unknown workflow (CR041), an input that does not fit (CR042), no deployment (CR044): failures at the await', async () => {
    const e = await engine();
    const src = (call: string) => ({ file: 'x.workflow', source: `workflow x(): any { try { return await ${call} } catch (e) { return e.type } }` });
    expect((await e.run(src('workflows.nope({})'), {}, { id: 'x1' })).result).toBe('CR041');
    expect((await e.run(src('workflows.charge({ orderId: 1 })'), {}, { id: 'x2' })).result).toBe('CR042');
    const bare = await engine({ workflows: undefined });
    expect((await bare.run(src('workflows.charge({ orderId: "a", amount: 1 })'), {}, { id: 'x3' })).result).toBe('CR044');
    // uncaught: the parent fails with CR040 and the child's message
    const failed = await e.run({ file: 'y.workflow', source: 'workflow y(): any { return await workflows.nope({}) }' }, {}, { id: 'y1' });
    expect(failed.error).toMatchObject({ code: 'CR040', line: 1 });
    expect(failed.error!.message).toContain('not part of the deployment');
  });

  it('cancelling the parent cancels the child it awaits, not a detached one', async () => {
    const e = await engine();
    const P = { file: 'c.workflow', source: `workflow c(): any {
  const d = workflows.slow.startDetached({ name: "d" }, { id: "free" })
  return await workflows.slow({ name: "a" })
}` };
    await e.start(P, {}, { id: 'c1' });
    await e.settled();
    const { id } = await childOf(e, 'c1', 'slow');
    expect((await e.get(id)).status).toBe('waiting');
    expect((await e.get('free')).status).toBe('waiting');
    await e.cancel('c1', 'stop');
    await e.settled();
    expect((await e.get('c1')).status).toBe('cancelled');
    const child = await e.get(id);
    expect(child.status).toBe('cancelled');
    expect(child.error?.message).toContain('stop');
    expect((await e.get('free')).status).toBe('waiting');
    expect(instanceView(await e.get('c1')).children!.map((c) => [c.id, c.status])).toEqual([
      ['free', 'detached'],
      [id, 'cancelled'],
    ]);
  });

  it('a parent that compensates after a cancel sees the child rejected and the child is cancelled', async () => {
    const e = await engine();
    const P = { file: 'k.workflow', source: `workflow k(): any {
  try { return await workflows.slow({ name: "a" }) } catch (e) { return e.name }
}` };
    await e.start(P, {}, { id: 'k1' });
    await e.settled();
    await e.cancel('k1');
    await e.settled();
    expect(await e.get('k1')).toMatchObject({ status: 'cancelled', result: 'CancelledError' });
    expect((await e.get((await childOf(e, 'k1', 'slow')).id)).status).toBe('cancelled');
  });

  it('a start repeated after a restart finds the child it started (no second instance, the child untouched)', async () => {
    const db = join(dir, 'restart.db');
    const a = await createEngine({ dbPath: db, tasks, workflows: deployment });
    const P = { file: 'r.workflow', source: `workflow r(): any { const x = await workflows.slow({ name: "a" }); return x }` };
    await a.start(P, {}, { id: 'r1' });
    await a.settled();
    const { id } = await childOf(a, 'r1', 'slow');
    const first = await a.get(id);
    await a.close();
    // a second process: resumeAll resends the parent's outstanding start; the child exists already
    const b = await createEngine({ dbPath: db, tasks, workflows: deployment });
    open.push(b);
    await b.resumeAll();
    await b.settled();
    const again = await b.get(id);
    expect(again.createdAt).toBe(first.createdAt);
    expect(again.version).toBe(first.version);
    expect((await b.list({ workflow: 'slow' })).items).toHaveLength(1);
  });
});

describe('child workflow limits', () => {
  it('an input over the task-argument limit is not started: CR042 at the await', async () => {
    const e = await engine();
    const P = { file: 'big.workflow', source: `workflow big(): any {
  try { return await workflows.slow({ name: "x".repeat(300000) }) } catch (e) { return e.type }
}` };
    expect((await e.run(P, {}, { id: 'big1' })).result).toBe('CR042');
    expect((await e.list({ workflow: 'slow' })).items).toHaveLength(0);
  });
});

describe('a parent failed by its child', () => {
  it('is not redriven, and says why', async () => {
    const e = await engine();
    const P = { file: 'rd.workflow', source: 'workflow rd(): any { return await workflows.charge({ orderId: "z", amount: 500 }) }' };
    const failed = await e.run(P, {}, { id: 'rd1' });
    expect(failed.error?.code).toBe('CR040');
    await expect(e.redrive('rd1')).rejects.toThrow(/a child workflow failed at line 1 \(CR040\)/);
  });
});

describe('child results over the limit', () => {
  it('a child result over 200 KiB fails the parent await with RESULT_TOO_LARGE (the child itself completed)', async () => {
    const big = { file: 'big.workflow', source: 'workflow bigResult(): string { return "y".repeat(300000) }' };
    const e = await engine({ workflows: [...deployment, big] });
    const P = { file: 'bp.workflow', source: `workflow bp(): any {
  try { return await workflows.bigResult({}) } catch (e) { return e.type }
}` };
    expect((await e.run(P, {}, { id: 'bp1' })).result).toBe('RESULT_TOO_LARGE');
    expect((await e.list({ workflow: 'bigResult' })).items.map((s) => s.status)).toEqual(['completed']);
  });
});
