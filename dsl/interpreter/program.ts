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
import type { Block, Node, Program, Statement, TaskDecl } from '../ast.ts';
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
  /** Block ids whose body declares a variable directly (those frames get a scope object). */
  scoped: Set<number>;
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
        if (declares(n)) scoped.add(n.id);
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
        lists[n.id] = [n];
        break;
      default:
        break;
    }
  }
  return {
    program,
    hash: programHash(program.source),
    nodes,
    lists,
    scoped,
    tasks: new Map(program.tasks.map((t) => [t.name, t])),
    policies: new Map(),
  };
}

function declares(b: Block): boolean {
  return b.body.some((s) => s.kind === 'VarDecl');
}
