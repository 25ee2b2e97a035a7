/** Which graph nodes the viewer highlights: the path taken, where the instance is now, where it failed. */
import { describe, expect, it } from 'vitest';
import { parse, toGraph } from '../../dsl/index.ts';
import { marksOf } from '../../ui/app/marks.ts';
import type { GraphJson, Pending } from '../../ui/types.ts';

const SRC = `
task a(x: number): number
task b(x: number): number
workflow w(x: number): number {
  const first = await a(x)
  if (first > 10) {
    await sleep("1h")
    return first
  }
  const both = await Promise.all([a(1), b(2)])
  return both[0] + both[1]
}`;

const graph = toGraph(parse(SRC, 'w.workflow').program!) as GraphJson;
const none: Pending = { tasks: [], timers: [], signals: [] };
const node = (kind: string, line: number) => graph.nodes.find((n) => n.kind === kind && n.line === line)!.id;

describe('marksOf', () => {
  it('marks the first task as current with its attempt, and only the start as visited before it', () => {
    const pending: Pending = { ...none, tasks: [{ taskId: `${node('task', 5)}.s1`, task: 'a', attempt: 2, of: 3, line: 5, col: 3, sentAt: '2026-01-01T00:00:00Z' }] };
    const m = marksOf(graph, { steps: [], pending, status: 'running', position: { line: 5, col: 3 } });
    expect([...m.current]).toEqual([[node('task', 5), 'attempt 2 of 3']]);
    expect([...m.visited].sort()).toEqual(['start', node('task', 5)].sort());
  });

  it('follows a branch into a sleep (with its due time) and marks the branch between them', () => {
    const first = node('task', 5);
    const sleep = node('sleep', 7);
    const steps = [{ at: '', kind: 'task', taskId: `${first}.s1`, task: 'a', line: 5, outcome: 'ok' }, { at: '', kind: 'sleep', line: 7, outcome: 'sleeping 1h' }];
    const pending: Pending = { ...none, timers: [{ timerId: `${sleep}.s2`, purpose: 'sleep', fireAt: '2026-01-01T01:00:00Z' }] };
    const m = marksOf(graph, { steps, pending, status: 'waiting', position: { line: 7, col: 5 } }, Date.parse('2026-01-01T00:00:00Z'));
    expect(m.current.get(sleep)).toBe('due in 1h 0m');
    expect(m.visited.has(node('branch', 6))).toBe(true);
    expect(m.visited.has(node('parallel', 10))).toBe(false);
  });

  it('marks both tasks of a Promise.all, a failure at its line, and the end once completed', () => {
    const all = node('parallel', 10);
    const pending: Pending = { ...none, tasks: ['a', 'b'].map((t, k) => ({ taskId: `${all}.s2.${k}`, task: t, attempt: 1, of: 3, line: 10, col: 3, sentAt: '' })) };
    const running = marksOf(graph, { steps: [], pending, status: 'running', position: null });
    expect(running.current.has(all)).toBe(true);
    expect(graph.nodes.filter((n) => n.kind === 'task' && n.line === 10).every((n) => running.current.has(n.id))).toBe(true);
    const failed = marksOf(graph, { steps: [], pending: none, status: 'failed', error: { code: 'CR007', message: 'b failed', line: 10 }, position: null });
    expect(failed.failed.has(all)).toBe(true);
    const done = marksOf(graph, { steps: [{ at: '', kind: 'complete', outcome: 'completed' }], pending: none, status: 'completed', position: { line: 11, col: 3 } });
    expect(done.visited.has('end')).toBe(true);
    expect(done.visited.has(node('return', 11))).toBe(true);
  });
});
