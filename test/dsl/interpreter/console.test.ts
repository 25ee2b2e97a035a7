/**
 * console.log/info/warn/error: `log` commands, never in the state, bounded per activation and
 * charged to the step budget.
 */
import { describe, expect, it } from 'vitest';
import { compile, MAX_LOG_LINES, MAX_LOG_MESSAGE, resume, start, type Command, type LogCommand, type Program } from '../../../dsl/index.ts';

const opts = { now: () => new Date(Date.UTC(2026, 0, 1)), uuid: () => 'u' };

function program(src: string): Program {
  const { program, diagnostics } = compile(src);
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return program!;
}
const logs = (cs: Command[]) => cs.filter((c): c is LogCommand => c.type === 'log');

describe('console', () => {
  it('emits log commands at the call, and keeps them out of the state', () => {
    const p = program('task t(): number\nworkflow w() {\n  console.warn("secret-ish", { a: 1 })\n  const x = await t()\n  return x\n}\n');
    const a = start(p, {}, opts);
    expect(logs(a.commands)).toEqual([{ type: 'log', level: 'warn', message: 'secret-ish {"a":1}', at: { line: 3, col: 3 } }]);
    expect(JSON.stringify(a.state)).not.toContain('secret-ish');
    const task = a.commands.find((c) => c.type === 'scheduleTask')!;
    const b = resume(p, JSON.parse(JSON.stringify(a.state)), { type: 'taskCompleted', id: (task as { id: string }).id, result: 5 }, opts);
    expect(logs(b.commands)).toEqual([]); // nothing replayed
    expect(b.commands).toEqual([{ type: 'complete', result: 5 }]);
  });

  it('writes at most MAX_LOG_LINES lines per activation, then one marker line counting the rest', () => {
    const p = program('task t(): number\nworkflow w(n: number) {\n  for (let i = 0; i < n; i++) { console.log("line", i) }\n  await t()\n  console.log("next activation")\n  return 1\n}\n');
    const a = start(p, { n: MAX_LOG_LINES + 7 }, opts);
    const ls = logs(a.commands);
    expect(ls).toHaveLength(MAX_LOG_LINES + 1);
    expect(ls[MAX_LOG_LINES - 1]!.message).toBe(`line ${MAX_LOG_LINES - 1}`);
    expect(ls[MAX_LOG_LINES]).toEqual({ type: 'log', level: 'warn', message: '… 7 more log lines dropped (over 100 in one activation)', at: { line: 3, col: 33 } });
    // the marker comes before the task the activation schedules after the loop
    expect(a.commands.findIndex((c) => c.type === 'scheduleTask')).toBeGreaterThan(a.commands.indexOf(ls[MAX_LOG_LINES]!));
    const id = (a.commands.find((c) => c.type === 'scheduleTask') as { id: string }).id;
    const b = resume(p, a.state, { type: 'taskCompleted', id, result: 1 }, opts);
    expect(logs(b.commands).map((c) => c.message)).toEqual(['next activation']); // a fresh allowance
  });

  it('cuts a long line to MAX_LOG_MESSAGE characters with the usual marker', () => {
    const p = program('workflow w() {\n  console.log("é".repeat(5000))\n  return 1\n}\n');
    const [l] = logs(start(p, {}, opts).commands);
    expect(l!.message).toBe(`${'é'.repeat(MAX_LOG_MESSAGE)}… [truncated 3,976 chars]`);
  });

  it('a big array is measured and charged, and cut rather than failing the workflow', () => {
    const p = program('workflow w() {\n  const xs = "a,".repeat(20000).split(",")\n  console.log(xs)\n  return xs.length\n}\n');
    const a = start(p, {}, opts);
    expect(a.commands.at(-1)).toEqual({ type: 'complete', result: 20001 });
    const [l] = logs(a.commands);
    expect(l!.message).toMatch(/^\["a","a",.*… \[truncated [\d,]+ chars\]$/);
    expect(a.steps).toBeGreaterThan(600); // 20,001 nodes and ~100,000 characters formatted, at 100 a step
  });

  it('formatting work counts against maxSteps', () => {
    const p = program('workflow w(s: string) {\n  for (let i = 0; i < 50; i++) { console.log(s) }\n  return 1\n}\n');
    const big = 'y'.repeat(100_000);
    const cheap = start(p, { s: 'y' }, opts);
    const dear = start(p, { s: big }, opts);
    expect(dear.steps).toBeGreaterThan(cheap.steps + 50 * 900); // 100,000 characters at 100 a step, per line
    const failed = start(p, { s: big }, { ...opts, maxSteps: 10_000 });
    expect(failed.state.error?.code).toBe('CR005');
    expect(logs(failed.commands).length).toBeGreaterThan(0); // lines before the failure are kept
  });

  it('lines logged before a CR006 (state too large) are kept, the tasks dropped', () => {
    const p = program('task t(x: string): number\nworkflow w() {\n  console.log("before")\n  const big = "z".repeat(300000)\n  await t(big)\n  return 1\n}\n');
    const a = start(p, {}, opts);
    expect(a.state.error?.code).toBe('CR006');
    expect(a.commands.map((c) => c.type)).toEqual(['log', 'fail']);
  });
});
