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
import type { ArrowFunction, FunctionDecl, Labeled, Node, Pattern, Program, Statement, TaskDecl } from '../ast.ts';
import { programHash } from '../hash.ts';
import { BUILTINS } from './builtins.ts';
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
  /** Top-level helper functions by name. */
  functions: Map<string, FunctionDecl>;
  /** Per helper or arrow function id, on first call: the names its body may change (`writtenNames`). */
  written: Map<number, Set<string>>;
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
    functions: new Map((program.functions ?? []).map((f) => [f.name, f])),
    written: new Map(),
    policies: new Map(),
  };
}

/**
 * The names a function's body may change: roots of assignment and `++`/`--` targets and of
 * receivers of mutating methods (`xs.push(…)`), outside nested arrow functions. A parameter named
 * here is bound as a copy of its argument; any other is bound to the argument itself (a read), so
 * `xs.map(x => x.id)` copies nothing while `xs.map(x => { x.done = true; return x })` never changes xs.
 */
export function writtenNames(ix: ProgramIndex, fn: FunctionDecl | ArrowFunction): Set<string> {
  let names = ix.written.get(fn.id);
  if (names) return names;
  names = new Set();
  const out = names;
  const root = (e: unknown): void => {
    let x = e as Node;
    // a destructuring assignment writes each of its targets
    if (x.kind === 'ArrayAssignPattern') {
      for (const el of x.elements) if (el) root(el);
      if (x.rest) root(x.rest);
      return;
    }
    if (x.kind === 'ObjectAssignPattern') {
      for (const p of x.properties) root(p.value);
      if (x.rest) root(x.rest);
      return;
    }
    while (x.kind === 'Member' || x.kind === 'Index' || x.kind === 'NonNull' || x.kind === 'As' || x.kind === 'Satisfies') {
      x = x.kind === 'Member' || x.kind === 'Index' ? x.object : x.expression;
    }
    if (x.kind === 'Identifier') out.add(x.name);
  };
  const stack: unknown[] = [fn.body];
  while (stack.length > 0) {
    const x = stack.pop();
    if (Array.isArray(x)) {
      stack.push(...x);
      continue;
    }
    if (typeof x !== 'object' || x === null) continue;
    const n = x as Node;
    if (n.kind === 'ArrowFunction') continue; // it cannot change what is around it (CT052)
    if (n.kind === 'Assign' || n.kind === 'Update') root(n.target);
    else if (n.kind === 'Call' && n.callee.kind === 'Member' && Object.hasOwn(BUILTINS.array, n.callee.property) && BUILTINS.array[n.callee.property as keyof typeof BUILTINS.array]!.mutates) {
      root(n.callee.object);
    }
    for (const k in n) if (k !== 'span') stack.push((n as unknown as Record<string, unknown>)[k]);
  }
  ix.written.set(fn.id, names);
  return names;
}

/** Does pattern `p` bind a name in `names`? */
export function bindsAny(p: Pattern, names: Set<string>): boolean {
  switch (p.kind) {
    case 'IdentifierPattern':
      return names.has(p.name);
    case 'ArrayPattern':
      return p.elements.some((e) => e !== null && bindsAny(e, names)) || (p.rest !== undefined && names.has(p.rest.name));
    case 'ObjectPattern':
      return p.properties.some((x) => bindsAny(x.value, names)) || (p.rest !== undefined && names.has(p.rest.name));
    default:
      return true;
  }
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
