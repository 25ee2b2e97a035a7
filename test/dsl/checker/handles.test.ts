/**
 * The checker and handles: `Promise<T>` for a task call, `sleep`, `signal` or `Promise.*` without
 * await, what their awaits give, and CT030–CT036 with positions and messages.
 */
import { describe, expect, it } from 'vitest';
import { parse } from '../../../dsl/parser.ts';
import { check } from '../../../dsl/checker/index.ts';
import type { Diagnostic } from '../../../dsl/diagnostics.ts';

function run(source: string): Diagnostic[] {
  const parsed = parse(source, 'test.workflow');
  expect(parsed.diagnostics, 'parses without syntax errors').toEqual([]);
  return check(parsed.program!);
}

function codes(source: string): string[] {
  return run(source).map((d) => `${d.code} ${d.span.line}:${d.span.col}${d.severity === 'warning' ? ' warning' : ''}`);
}

function expectOne(source: string, code: string, at: string, fragment: string, severity: 'error' | 'warning' = 'error'): Diagnostic {
  const ds = run(source);
  expect(ds.map((d) => `${d.code} ${d.message}`)).toHaveLength(1);
  const d = ds[0]!;
  expect(`${d.code} ${d.span.line}:${d.span.col} ${d.severity}`).toBe(`${code} ${at} ${severity}`);
  expect(d.message).toContain(fragment);
  return d;
}

const TASKS = 'task price(sku: string): number\ntask ship(id: string): { ok: boolean }\n';

describe('handle types', () => {
  it('a task call without await is Promise<R>; its await gives R', () => {
    // the message of a mismatch shows the handle type
    expectOne(`${TASKS}workflow w() {\n  const h = price("a")\n  const s: string = h\n}`, 'CT007', '5:21', 'Promise<number>');
    expectOne(`${TASKS}workflow w() {\n  const h = price("a")\n  const n = await h\n  const s: string = n\n}`, 'CT007', '6:21', 'cannot assign number to string');
  });

  it('Promise.all of handles gives a tuple, race and any a union, { index: true } an object', () => {
    expect(codes(`${TASKS}workflow w(): number {\n  const [n, s] = await Promise.all([price("a"), ship("b")])\n  if (s.ok) return n\n  return 0\n}`)).toEqual([]);
    expectOne(`${TASKS}workflow w() {\n  const r = await Promise.race([price("a"), ship("b")])\n  const s: string = r\n}`, 'CT007', '5:21', 'number | { ok: boolean }');
    expectOne(`${TASKS}workflow w() {\n  const r = await Promise.race([price("a"), sleep(5)], { index: true })\n  const s: string = r.index\n}`, 'CT007', '5:21', 'cannot assign number to string');
    expect(codes(`${TASKS}workflow w() {\n  const rs = await Promise.allSettled([price("a"), 5])\n  return rs[0].status\n}`)).toEqual([]);
  });

  it('items.map(task) as a value is a list of handles, checked like a fan-out', () => {
    expect(codes(`${TASKS}workflow w(xs: string[]) {\n  const hs = xs.map(price)\n  return await Promise.all(hs)\n}`)).toEqual([]);
    expectOne(`${TASKS}workflow w(xs: number[]) {\n  const hs = xs.map(price)\n  return await Promise.all(hs)\n}`, 'CT007', '4:14', "task 'price' takes string, but the items are number");
  });

  it('signal([names]) gives { name, payload }; with a timeout also timedOut', () => {
    expectOne('workflow w() {\n  const d = await signal(["a", "b"])\n  const n: number = d.name\n}', 'CT007', '3:21', 'cannot assign string to number');
    expect(codes('workflow w() {\n  const d = await signal(["a", "b"], { timeout: "1h" })\n  if (d.timedOut) return null\n  return d.payload\n}')).toEqual([]);
  });

  it('instance has id, workflow and startedAt', () => {
    expect(codes('workflow w() {\n  return [instance.id, instance.workflow, instance.startedAt]\n}')).toEqual([]);
    expectOne('workflow w() {\n  return instance.name\n}', 'CT008', '2:19', "unknown property 'name'");
  });
});

describe('CT030–CT036', () => {
  it('CT030 a handle dropped on the floor (warning)', () => {
    const d = expectOne(`${TASKS}workflow w() {\n  price("a")\n}`, 'CT030', '4:3', "task 'price' starts, but its result and failure are ignored", 'warning');
    expect(d.hint).toContain('const h =');
    expectOne('workflow w() {\n  sleep("1s")\n}', 'CT030', '2:3', 'dropped', 'warning');
    expectOne(`${TASKS}workflow w(xs: string[]) {\n  xs.map(price)\n}`, 'CT030', '4:3', 'dropped', 'warning');
    expect(codes(`${TASKS}workflow w() {\n  const h = price("a")\n  await h\n}`)).toEqual([]);
  });

  it('CT031 a handle used as a plain value', () => {
    expectOne(`${TASKS}workflow w() {\n  const h = price("a")\n  return h\n}`, 'CT031', '5:10', 'the result of the workflow');
    expectOne(`${TASKS}workflow w() {\n  const h = price("a")\n  await ship(h)\n}`, 'CT031', '5:14', "passed to task 'ship'");
    expectOne(`${TASKS}workflow w() {\n  const h = price("a")\n  const n = h + 1\n}`, 'CT031', '5:13', "used with '+'");
    expectOne(`${TASKS}workflow w() {\n  const h = ship("a")\n  return h.ok\n}`, 'CT031', '5:12', "a handle has no property 'ok'");
    expectOne(`${TASKS}workflow w() {\n  return [price("a")]\n}`, 'CT031', '4:10', 'the result of the workflow');
    // comparing handles is fine: they compare by identity
    expect(codes(`${TASKS}workflow w() {\n  const h = price("a")\n  const same = h === h\n  await h\n}`)).toEqual([]);
  });

  it('CT032 await of a value that is no handle (warning), with a hint for a list of handles', () => {
    expectOne('workflow w() {\n  const x = await 5\n}', 'CT032', '2:19', 'gives the value itself', 'warning');
    const d = expectOne(`${TASKS}workflow w(xs: string[]) {\n  const hs = xs.map(price)\n  const r = await hs\n}`, 'CT032', '5:19', 'Promise<number>[]', 'warning');
    expect(d.hint).toContain('Promise.all(list)');
    expect(codes('workflow w(x: any) {\n  return await x\n}')).toEqual([]);
  });

  it('CT033 a literal timestamp that is not ISO', () => {
    const d = expectOne('workflow w() {\n  await sleepUntil("tomorrow 9am")\n}', 'CT033', '2:20', 'not an ISO timestamp');
    expect(d.hint).toContain('UTC');
    expectOne('workflow w() {\n  return timeBetween("2026-01-01", "2026-02-30")\n}', 'CT033', '2:36', '"2026-02-30"');
    expectOne('workflow w() {\n  return addTime("2026-01-01", "soon")\n}', 'CT020', '2:32', 'not a duration');
    expect(codes('workflow w() {\n  await sleepUntil("2026-03-01T09:00:00+01:00")\n  return addTime(now(), "-2h")\n}')).toEqual([]);
  });

  it('CT034 signal names', () => {
    expectOne('workflow w() {\n  await signal([])\n}', 'CT034', '2:16', 'at least one name');
    expectOne('workflow w() {\n  await signal(["a", ""])\n}', 'CT034', '2:22', 'non-empty string');
    expectOne('workflow w() {\n  await signal("")\n}', 'CT034', '2:16', 'must not be empty');
  });

  it('CT035 Promise.race of an empty list', () => {
    expectOne('workflow w() {\n  await Promise.race([])\n}', 'CT035', '2:22', 'never settles');
    expect(codes('workflow w() {\n  return await Promise.any([])\n}')).toEqual([]);
  });

  it('CT036 the reserved key $handle', () => {
    expectOne('workflow w() {\n  return { $handle: "n1.s1" }\n}', 'CT036', '2:12', 'reserved for handles');
    expectOne('workflow w() {\n  const o: any = {}\n  o["$handle"] = "x"\n}', 'CT036', '3:3', 'reserved');
  });

  it('CT051 a handle started in a helper or callback (they run to completion at once)', () => {
    expectOne('workflow w(xs: number[]) {\n  const hs = xs.map((x) => sleep(x))\n}', 'CT051', '2:28', 'makes a handle');
    expectOne(`${TASKS}function f(s: string): any { return price(s) }\nworkflow w() {\n  return f("a")\n}`, 'CT051', '3:37', "cannot call task 'price'");
  });

  it('options of combinators (CT015)', () => {
    expectOne(`${TASKS}workflow w() {\n  const h = price("a")\n  await Promise.all([h], { concurrency: 2 })\n}`, 'CT015', '5:28', 'already running');
    expectOne(`${TASKS}workflow w() {\n  await Promise.race([price("a")], { first: true })\n}`, 'CT015', '4:38', 'take only index');
  });
});
