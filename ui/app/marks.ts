/**
 * Which graph nodes to highlight for an instance: the path taken (`visited`), where it is now
 * (`current`, with a note such as "attempt 2 of 3" or "due in 4m"), and where it failed. Pure.
 *
 *   marksOf(page.graph, { steps, pending, status, error, position })
 *   // => { visited: Set{'start','n26'}, current: Map{'n42' => 'attempt 1 of 3'}, failed: Set{} }
 *
 * How: a task's await id starts with its graph node's id (`n26.s1` → `n26`; dsl/graph.ts and the
 * interpreter both name an await `n<ast id>`), and steps and pending signals carry line numbers. The
 * nodes that are not awaits (branches, loops, returns, try/catch) leave no step, so they count as
 * visited when they lie between visited nodes.
 */
import type { GraphJson, Pending, Step, WorkflowErrorJson } from '../types.ts';
import { relative } from './format.ts';

export interface Marks {
  visited: Set<string>;
  current: Map<string, string>;
  failed: Set<string>;
}

export interface MarkInput {
  steps: Step[];
  pending: Pending;
  status: string;
  error?: WorkflowErrorJson;
  position: { line: number; col: number } | null;
}

const AWAIT_KINDS = new Set(['task', 'parallel', 'fanout', 'sleep', 'signal', 'race', 'wait']);

export function marksOf(graph: GraphJson, m: MarkInput, now = Date.now()): Marks {
  const ids = new Set(graph.nodes.map((n) => n.id));
  const byId = (awaitId: string | undefined): string | undefined => {
    if (!awaitId) return undefined;
    const head = /^n\d+/.exec(awaitId)?.[0];
    return head && ids.has(head) ? head : undefined;
  };
  /** Task nodes of a parallel/fan-out on the same line with the task's name (they have ids of their own). */
  const children = (task: string | undefined, line: number | undefined) =>
    graph.nodes.filter((n) => n.kind === 'task' && n.line === line && (n.label === task || n.label.endsWith(` ${task}`))).map((n) => n.id);
  const onLine = (line: number | undefined, kinds: string[]) => graph.nodes.filter((n) => n.line === line && kinds.includes(n.kind)).map((n) => n.id);

  const visited = new Set<string>(['start']);
  for (const s of m.steps) {
    const id = byId(s.taskId);
    if (id) visited.add(id);
    if (s.task) for (const c of children(s.task, s.line)) visited.add(c);
    if (s.kind === 'sleep') for (const n of onLine(s.line, ['sleep'])) visited.add(n);
    if (s.kind === 'signal' && s.line !== undefined) for (const n of onLine(s.line, ['signal'])) visited.add(n);
    if (s.kind === 'complete') visited.add('end');
  }
  if (m.status === 'completed' && m.position) for (const n of onLine(m.position.line, ['return'])) visited.add(n);

  const current = new Map<string, string>();
  for (const t of m.pending.tasks) {
    const note = t.retryAt !== undefined ? `attempt ${t.attempt + 1} of ${t.of} ${relative(t.retryAt, now)}` : `attempt ${t.attempt} of ${t.of}`;
    for (const id of [byId(t.taskId), ...children(t.task, t.line)]) if (id) current.set(id, note);
  }
  for (const t of m.pending.timers) {
    if (t.purpose !== 'sleep') continue;
    const id = byId(t.timerId);
    if (id) current.set(id, `due ${relative(t.fireAt, now)}`);
  }
  for (const s of m.pending.signals) for (const id of onLine(s.line, ['signal'])) current.set(id, `waiting for "${s.name}"`);
  for (const id of current.keys()) visited.add(id);

  const failed = new Set<string>();
  if (m.status === 'failed' && m.error?.line !== undefined) {
    const at = onLine(m.error.line, [...AWAIT_KINDS, 'throw', 'return', 'branch', 'loop']);
    for (const id of at) failed.add(id);
  }
  for (const id of failed) visited.add(id);

  // Nodes that leave no step: visited when something before and something after them was.
  const preds = new Map<string, string[]>();
  const succs = new Map<string, string[]>();
  for (const e of graph.edges) {
    (succs.get(e.from) ?? succs.set(e.from, []).get(e.from)!).push(e.to);
    (preds.get(e.to) ?? preds.set(e.to, []).get(e.to)!).push(e.from);
  }
  for (let changed = true, rounds = 0; changed && rounds < graph.nodes.length; rounds++) {
    changed = false;
    for (const n of graph.nodes) {
      if (visited.has(n.id) || AWAIT_KINDS.has(n.kind)) continue;
      const before = (preds.get(n.id) ?? []).some((p) => visited.has(p));
      const after = (succs.get(n.id) ?? []).some((s) => visited.has(s));
      if (before && after) {
        visited.add(n.id);
        changed = true;
      }
    }
  }
  return { visited, current, failed };
}
