/**
 * A per-program index the interpreter builds once and caches (WeakMap keyed by the Program):
 * node by id, the statement list each frame runs, which blocks declare variables, task
 * declarations and the program hash.
 *
 *   const ix = indexProgram(program);
 *   ix.nodes[12]        // the AST node with id 12
 *   ix.lists[7]         // statements a frame for node 7 runs (a Block's body, or [stmt] for a lone one)
 *
 * Why: interpreter state names nodes by id only (plain JSON), so resuming needs id → node; and the
 * hot loop must not rebuild anything per statement.
 */
import type { Labeled, Node, Program, Statement, TaskDecl } from '../ast.ts';
import { programHash } from '../hash.ts';
import type { TaskPolicy } from './types.ts';
import type { RuntimeError } from './values.ts';

export interface ProgramIndex {
  program: Program;
  hash: string;
  /** Node by id (sparse). */
  nodes: Node[];
  /** Statement list by node id: a Block's body, or `[stmt]` for a lone statement used as a body. */
  lists: Statement[][];
  /** Block and Switch ids whose body declares a variable directly (those frames get a scope object). */
  scoped: Set<number>;
  /**
   * Labels by node id: of a loop or switch (`outer: for …`), or of the outermost Labeled node of a
   * labeled statement that is neither (its `B` frame's node).
   */
  labels: Map<number, string[]>;
  tasks: Map<string, TaskDecl>;
  /** Declaration policies, resolved on first use (DEFAULT_POLICY ⊕ the declaration's `with`). */
  policies: Map<string, TaskPolicy | RuntimeError>;
}

const cache = new WeakMap<Program, ProgramIndex>();

export function indexProgram(program: Program): ProgramIndex {
  let ix = cache.get(program);
  if (!ix) {
    ix = build(program);
    cache.set(program, ix);
  }
  return ix;
}

function build(program: Program): ProgramIndex {
  const nodes: Node[] = [];
  const visit = (x: unknown): void => {
    if (Array.isArray(x)) {
      for (const y of x) visit(y);
      return;
    }
    if (typeof x !== 'object' || x === null) return;
    const o = x as Record<string, unknown>;
    if (typeof o.kind === 'string' && typeof o.id === 'number') nodes[o.id] = o as unknown as Node;
    for (const k in o) {
      if (k !== 'span') visit(o[k]);
    }
  };
  visit(program);
  const lists: Statement[][] = [];
  const scoped = new Set<number>();
  for (const n of nodes) {
    if (!n) continue;
    switch (n.kind) {
      case 'Block':
        lists[n.id] = n.body;
        if (declares(n.body)) scoped.add(n.id);
        break;
      case 'SwitchCase':
        // a case's body runs as a list of its own (no scope: the switch frame holds the cases' scope)
        lists[n.id] = n.consequent;
        break;
      case 'Switch':
        lists[n.id] = [n];
        if (declares(n.cases.flatMap((c) => c.consequent))) scoped.add(n.id);
        break;
      case 'Labeled':
        lists[n.id] = [n];
        break;
      case 'VarDecl':
      case 'Assign':
      case 'Update':
      case 'If':
      case 'While':
      case 'For':
      case 'ForOf':
      case 'Break':
      case 'Continue':
      case 'Return':
      case 'ExprStmt':
      case 'Try':
      case 'Throw':
      case 'Invalid':
        lists[n.id] = [n];
        break;
      default:
        break;
    }
  }
  const labels = new Map<number, string[]>();
  for (const n of nodes) {
    if (!n || n.kind !== 'Labeled') continue;
    const { labels: chain, body } = labelChain(n);
    // inner Labeled nodes of a chain (`a: b: …`) are reached through the outer one only
    if (labels.has(n.id)) continue;
    const target = body.kind === 'While' || body.kind === 'For' || body.kind === 'ForOf' || body.kind === 'Switch' ? body.id : n.id;
    labels.set(target, chain);
    for (let b: Statement = n.body; b.kind === 'Labeled'; b = b.body) labels.set(b.id, []);
  }
  for (const [id, ls] of labels) if (ls.length === 0) labels.delete(id);
  return {
    program,
    hash: programHash(program.source),
    nodes,
    lists,
    scoped,
    labels,
    tasks: new Map(program.tasks.map((t) => [t.name, t])),
    policies: new Map(),
  };
}

function declares(body: readonly Statement[]): boolean {
  return body.some((s) => s.kind === 'VarDecl');
}

/** The labels of `a: b: stmt` and the statement they label. */
export function labelChain(n: Labeled): { labels: string[]; body: Statement } {
  const labels = [n.label];
  let body = n.body;
  while (body.kind === 'Labeled') {
    labels.push(body.label);
    body = body.body;
  }
  return { labels, body };
}
