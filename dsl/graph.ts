/**
 * The workflow graph: a picture of which durable steps a workflow can take, in what order.
 *
 * Takes a parsed `Program`, gives plain data (`toGraph`) and two text renderings of it
 * (`toMermaid`, a Mermaid `flowchart TD`; `toDot`, a Graphviz `digraph`). Pure: no I/O.
 *
 *   toMermaid(toGraph(parse(src, 'order.workflow').program!))
 *   // flowchart TD
 *   //   start(["processOrder(orderId, amount)"])
 *   //   n14["chargeCard"]
 *   //   start --> n14
 *   //   …
 *
 * What becomes a node: the start, every await (task, `Promise.all` of a fixed list — a
 * `parallel` node fanning out to one node per task —, `Promise.all(xs.map(task), { concurrency })`
 * — a `fanout` node and one node for the mapped task —, `sleep`, `sleepUntil`, `signal`,
 * `Promise.race` / `Promise.any` — a `race` node with one node per contender, whose edges to the
 * next step say `first` —, `await h` of a handle kept in a variable — a `wait` node), every task,
 * timer or signal started without `await` — a `handle` node on the way, since the flow goes on —,
 * every `if`, `switch` (a `branch` with one edge per case, labelled with its test) and loop that
 * contains an await, `return`, `break` or `continue`, every `return`, and one end node. Plain
 * computation (assignments, ifs and loops without awaits) is folded into the edges: why — the graph
 * is about the steps that leave a mark in the instance's history, and a compute-only `if` would
 * only add a diamond whose two edges lead to the same place.
 *
 * Edges carry labels where there is a choice: `yes`/`no` out of a branch, `loop`/`done` out of a
 * loop (plus `next`/`continue` back edges and `break` exits), `received`/`timed out` out of a
 * signal with a timeout. Node ids are stable: `n<ast id>` for statements and calls (the same text
 * always gives the same ids), `start` and `end` for the two ends.
 */
import {
  assertNever,
  type Await,
  type Call,
  type Expression,
  type ForOf,
  type If,
  type Labeled,
  type ObjectLiteral,
  type Program,
  type Span,
  type Statement,
  type Switch,
  type Try,
} from './ast.ts';

export type GraphNodeKind =
  | 'start'
  | 'task'
  | 'parallel'
  | 'fanout'
  | 'sleep'
  | 'signal'
  | 'branch'
  | 'loop'
  | 'return'
  | 'try'
  | 'catch'
  | 'finally'
  | 'throw'
  | 'race'
  | 'wait'
  | 'handle'
  /** A child workflow started and awaited (`await workflows.charge(…)`). */
  | 'child'
  | 'end';

export interface GraphNode {
  /** Stable id: `start`, `end`, or `n<ast id>` (fan-out children: `n<call id>_each`). */
  id: string;
  kind: GraphNodeKind;
  /** Short human text (source excerpts are whitespace-collapsed and shortened). */
  label: string;
  /** 1-based source line of the construct. */
  line: number;
}

export interface GraphEdge {
  from: string;
  to: string;
  label?: string;
}

export interface Graph {
  /** The workflow's name. */
  name: string;
  nodes: GraphNode[];
  edges: GraphEdge[];
}

/** Default fan-out concurrency when `{ concurrency }` is not given (see dsl/README.md). */
const DEFAULT_CONCURRENCY = 10;
/** Longest source excerpt kept in a label before it is shortened with `…`. */
const MAX_EXCERPT = 60;

/** An edge waiting for the node that comes next in the flow. */
interface Dangling {
  from: string;
  label?: string;
}

interface LoopContext {
  /** The loop node id (target of `continue` and the back edge); empty for a switch or labeled block. */
  id: string;
  /** Edges leaving the loop (switch, labeled block) through `break`. */
  breaks: Dangling[];
  /** Absent for a loop. */
  kind?: 'switch' | 'label';
  /** Labels written before it (`outer: for …`). */
  labels: string[];
}

export function toGraph(program: Program): Graph {
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  const seenEdges = new Set<string>();
  const loops: LoopContext[] = [];
  const returns: Dangling[] = [];
  /** Catch nodes of the `try` blocks being drawn, innermost last (where a `throw` goes). */
  const catches: string[] = [];
  /** Throws no catch takes: edges to the end, labelled `fails`. */
  const uncaught: Dangling[] = [];
  const wf = program.workflow;

  const text = (span: Span) => excerpt(program.source.slice(span.start, span.end));
  const lineAt = (offset: number) => lineOf(program.source, offset);

  function addNode(id: string, kind: GraphNodeKind, label: string, line: number): string {
    nodes.push({ id, kind, label, line });
    return id;
  }
  function addEdge(from: string, to: string, label?: string): void {
    const key = `${from}\u0000${to}\u0000${label ?? ''}`;
    if (seenEdges.has(key)) return; // e.g. an `if` whose branches both fall through unchanged
    seenEdges.add(key);
    edges.push(label === undefined ? { from, to } : { from, to, label });
  }
  /** Connects every dangling edge to `to`. */
  function connect(incoming: Dangling[], to: string): void {
    for (const d of incoming) addEdge(d.from, to, d.label);
  }

  const params = wf.params.map((p) => p.name).join(', ');
  const start = addNode('start', 'start', `${wf.name}(${params})`, wf.span.line);

  // ---- awaits --------------------------------------------------------------------------------

  /** Adds the node(s) of one await and gives the edges leaving it. */
  function awaitNodes(aw: Await, incoming: Dangling[]): Dangling[] {
    const target = aw.argument;
    const line = aw.span.line;
    if (target.kind === 'Call') {
      const name = calleeName(target.callee);
      if (name === 'sleep' || name === 'sleepUntil' || name === 'signal') {
        const id = addNode(`n${aw.id}`, name === 'signal' ? 'signal' : 'sleep', timerLabel(target, name), line);
        connect(incoming, id);
        // A timed wait goes on either way; two labelled edges show that both outcomes exist.
        return name === 'signal' && objectProp(target.args[1], 'timeout') ? [{ from: id, label: 'received' }, { from: id, label: 'timed out' }] : [{ from: id }];
      }
      if (name === 'Promise.all' || name === 'Promise.allSettled') {
        return promiseNodes(aw, target, name, incoming);
      }
      if (name === 'Promise.race' || name === 'Promise.any') {
        return raceNodes(aw, target, name, incoming);
      }
      if (name.startsWith('workflows.')) {
        const before = startNodes(target.args, incoming);
        const id = addNode(`n${aw.id}`, 'child', `workflow ${name.slice('workflows.'.length)}`, line);
        connect(before, id);
        return [{ from: id }];
      }
      if (target.callee.kind === 'Identifier' && !BUILTIN_NAMES.has(target.callee.name)) {
        const before = startNodes(target.args, incoming);
        const id = addNode(`n${aw.id}`, 'task', target.callee.name, line);
        connect(before, id);
        return [{ from: id }];
      }
    }
    // `await h`: waiting for a handle kept in a variable (or for a value, which goes on at once).
    const before = startNodes([target], incoming);
    const id = addNode(`n${aw.id}`, 'wait', `await ${text(target.span)}`, line);
    connect(before, id);
    return [{ from: id }];
  }

  /** `sleep 1h`, `sleep until …`, `signal "a" | "b" (timeout 2d)`. */
  function timerLabel(call: Call, name: string): string {
    if (name === 'sleep') return `sleep ${argText(call, 0)}`;
    if (name === 'sleepUntil') return `sleep until ${argText(call, 0)}`;
    const names = call.args[0];
    const what = names?.kind === 'ArrayLiteral' ? names.elements.map((e) => (e.kind === 'StringLiteral' ? e.value : '…')).join(' | ') : argText(call, 0);
    const timeout = objectProp(call.args[1], 'timeout');
    return `signal ${what}` + (timeout ? ` (timeout ${literalText(timeout)})` : '');
  }

  /**
   * `Promise.race([...])` / `Promise.any([...])`: a race node and one node per contender (a task, a
   * timer, a signal, a handle kept in a variable); the flow goes on from each, edges labelled
   * `first` (`first ok` for any, which waits for the first that succeeds).
   */
  function raceNodes(aw: Await, call: Call, name: string, incoming: Dangling[]): Dangling[] {
    const race = addNode(`n${aw.id}`, 'race', name, aw.span.line);
    connect(incoming, race);
    const label = name === 'Promise.any' ? 'first ok' : 'first';
    const list = call.args[0];
    if (list?.kind !== 'ArrayLiteral') {
      const each = addNode(`n${aw.id}_each`, 'wait', `each of ${list ? text(list.span) : '?'}`, aw.span.line);
      addEdge(race, each);
      return [{ from: each, label }];
    }
    return contenders(race, list.elements, label);
  }

  /** One node per element of a combinator's list, each entered from `from`. */
  function contenders(from: string, elements: readonly (Expression | { kind: 'Spread'; id: number; span: Span; argument: Expression })[], label?: string): Dangling[] {
    const out: Dangling[] = [];
    for (const el of elements) {
      const child = contenderNode(el);
      addEdge(from, child);
      out.push(label === undefined ? { from: child } : { from: child, label });
    }
    return out;
  }

  function contenderNode(el: Expression | { kind: 'Spread'; id: number; span: Span; argument: Expression }): string {
    const line = el.span.line;
    if (el.kind === 'Call') {
      const name = calleeName(el.callee);
      if (name === 'sleep' || name === 'sleepUntil' || name === 'signal') return addNode(`n${el.id}`, name === 'signal' ? 'signal' : 'sleep', timerLabel(el, name), line);
      if (el.callee.kind === 'Identifier' && !BUILTIN_NAMES.has(el.callee.name)) return addNode(`n${el.id}`, 'task', el.callee.name, line);
    }
    return addNode(`n${el.id}`, 'wait', el.kind === 'Spread' ? `each of ${text(el.argument.span)}` : text(el.span), line);
  }

  /**
   * Tasks, timers and signals started without `await` inside these expressions (`const h = t(x)`,
   * `hs.push(sleep("1h"))`): a `handle` node each, in source order, on the way to what follows.
   */
  function startNodes(es: readonly Expression[], incoming: Dangling[]): Dangling[] {
    let flow = incoming;
    const visit = (e: Expression | undefined): void => {
      if (!e || e.kind === 'Await') return;
      if (e.kind === 'Call') {
        e.args.forEach(visit);
        const name = calleeName(e.callee);
        let label: string | undefined;
        if (name === 'sleep' || name === 'sleepUntil' || name === 'signal') label = `start ${timerLabel(e, name)}`;
        else if (name.startsWith('Promise.')) label = `start ${name}`;
        else if (name.startsWith('workflows.')) label = `start workflow ${name.slice('workflows.'.length)}`;
        else if (isDetachedStart(e)) label = `start workflow ${(e.callee as { object: { property: string } }).object.property} (detached)`;
        else if (e.callee.kind === 'Identifier' && !BUILTIN_NAMES.has(e.callee.name)) label = `start ${e.callee.name}`;
        else if (e.callee.kind === 'Member' && e.callee.property === 'map' && e.args.length === 1 && e.args[0]!.kind === 'Identifier' && !BUILTIN_NAMES.has(e.args[0]!.name)) {
          label = `start ${e.args[0]!.name} for each of ${text(e.callee.object.span)}`;
        } else visit(e.callee);
        if (label) {
          const id = addNode(`n${e.id}`, 'handle', label, e.span.line);
          connect(flow, id);
          flow = [{ from: id }];
        }
        return;
      }
      switch (e.kind) {
        case 'ArrayLiteral':
          e.elements.forEach((x) => visit(x.kind === 'Spread' ? x.argument : x));
          return;
        case 'ObjectLiteral':
          e.properties.forEach((x) => visit(x.kind === 'Spread' ? x.argument : x.value));
          return;
        case 'TemplateLiteral':
          e.expressions.forEach(visit);
          return;
        case 'Member':
          visit(e.object);
          return;
        case 'Index':
          visit(e.object);
          visit(e.index);
          return;
        case 'Unary':
          visit(e.argument);
          return;
        case 'Binary':
        case 'Logical':
          visit(e.left);
          visit(e.right);
          return;
        case 'Conditional':
          visit(e.test);
          visit(e.consequent);
          visit(e.alternate);
          return;
        default:
          return;
      }
    };
    es.forEach(visit);
    return flow;
  }

  function promiseNodes(aw: Await, call: Call, name: string, incoming: Dangling[]): Dangling[] {
    const list = call.args[0];
    const line = aw.span.line;
    // Fan-out over a list: `Promise.all(items.map(task), { concurrency: n })`.
    if (list?.kind === 'Call' && list.callee.kind === 'Member' && list.callee.property === 'map') {
      const items = text(list.callee.object.span);
      const taskArg = list.args[0];
      const task = taskArg?.kind === 'Identifier' ? taskArg.name : taskArg ? text(taskArg.span) : '?';
      const conc = objectProp(call.args[1], 'concurrency');
      const concurrency = conc?.kind === 'NumberLiteral' ? String(conc.value) : conc ? text(conc.span) : String(DEFAULT_CONCURRENCY);
      const settled = name === 'Promise.allSettled' ? ', settled' : '';
      const fan = addNode(`n${aw.id}`, 'fanout', `each of ${items} (concurrency ${concurrency}${settled})`, line);
      connect(incoming, fan);
      const child = addNode(`n${aw.id}_each`, 'task', task, line);
      addEdge(fan, child, 'each item');
      return [{ from: child }];
    }
    // A list: `Promise.all([t1(x), t2(y)])` (or of handles): one node per element, all joining the next node.
    const par = addNode(`n${aw.id}`, 'parallel', name, line);
    connect(incoming, par);
    if (list?.kind === 'ArrayLiteral' && list.elements.length > 0) return contenders(par, list.elements);
    if (list && list.kind !== 'ArrayLiteral') {
      const each = addNode(`n${aw.id}_each`, 'wait', `each of ${text(list.span)}`, line);
      addEdge(par, each);
      return [{ from: each }];
    }
    return [{ from: par }];
  }

  /** The await directly in a statement position (the only places the checker allows one), or handles started in the expression. */
  function exprNodes(e: Expression | undefined, incoming: Dangling[]): Dangling[] {
    if (!e) return incoming;
    return e.kind === 'Await' ? awaitNodes(e, incoming) : startNodes([e], incoming);
  }

  // ---- statements ----------------------------------------------------------------------------

  function block(stmts: readonly Statement[], incoming: Dangling[]): Dangling[] {
    let flow = incoming;
    for (const s of stmts) flow = statement(s, flow);
    return flow;
  }

  /** What a `break` / `continue` (with or without a label) goes to. */
  function jumpTarget(kind: 'Break' | 'Continue', label: string | undefined): LoopContext | undefined {
    for (let i = loops.length - 1; i >= 0; i--) {
      const l = loops[i]!;
      if (label !== undefined ? l.labels.includes(label) : l.kind === undefined || (kind === 'Break' && l.kind === 'switch')) return l;
    }
    return undefined;
  }

  function statement(s: Statement, incoming: Dangling[], labels: string[] = []): Dangling[] {
    switch (s.kind) {
      case 'VarDecl':
        return exprNodes(s.init, incoming);
      case 'Assign':
        return exprNodes(s.value, incoming);
      case 'ExprStmt':
        return exprNodes(s.expression, incoming);
      case 'Update':
        return incoming;
      case 'Block':
        return block(s.body, incoming);
      case 'If':
        return ifNodes(s, incoming);
      case 'While':
      case 'For':
      case 'ForOf':
        return loopNodes(s, incoming, labels);
      case 'Switch':
        return switchNodes(s, incoming, labels);
      case 'Labeled':
        return labeledNodes(s, incoming, labels);
      case 'Invalid':
        return incoming;
      case 'Break': {
        const target = jumpTarget('Break', s.label);
        if (target) target.breaks.push(...incoming.map((d) => ({ from: d.from, label: d.label ?? 'break' })));
        return [];
      }
      case 'Continue': {
        const target = jumpTarget('Continue', s.label);
        if (target) for (const d of incoming) addEdge(d.from, target.id, d.label ?? 'continue');
        return [];
      }
      case 'Return': {
        const before = exprNodes(s.argument, incoming);
        const arg = s.argument && s.argument.kind !== 'Await' ? ` ${text(s.argument.span)}` : '';
        const id = addNode(`n${s.id}`, 'return', `return${arg}`, s.span.line);
        connect(before, id);
        returns.push({ from: id });
        return [];
      }
      case 'Try':
        return tryNodes(s, incoming);
      case 'Throw': {
        const id = addNode(`n${s.id}`, 'throw', `throw ${text(s.argument.span)}`, s.span.line);
        connect(incoming, id);
        const handler = catches[catches.length - 1];
        if (handler) addEdge(id, handler, 'throw');
        else uncaught.push({ from: id, label: 'fails' });
        return [];
      }
      default:
        return assertNever(s, 'statement');
    }
  }

  /**
   * `try`: a try node, its block, a catch node it reaches on `error` (a failed await or a runtime
   * error anywhere in the block; `throw`s inside go there too), a finally node both join. Returns
   * inside still go straight to the end (the finally block that runs first is not drawn twice).
   */
  function tryNodes(s: Try, incoming: Dangling[]): Dangling[] {
    if (!isInteresting(s)) return incoming;
    const id = addNode(`n${s.id}`, 'try', 'try', s.span.line);
    connect(incoming, id);
    let handler: string | undefined;
    if (s.handler) {
      const param = s.param ? ` (${text(s.param.span)})` : '';
      handler = addNode(`n${s.id}_catch`, 'catch', `catch${param}`, s.handler.span.line);
      catches.push(handler);
    }
    let out = block(s.block.body, [{ from: id }]);
    if (handler) {
      catches.pop();
      addEdge(id, handler, 'error');
      out = [...out, ...block(s.handler!.body, [{ from: handler }])];
    }
    if (s.finalizer) {
      const fin = addNode(`n${s.id}_finally`, 'finally', 'finally', s.finalizer.span.line);
      connect(out, fin);
      if (!handler) addEdge(id, fin, 'error');
      out = block(s.finalizer.body, [{ from: fin }]);
    }
    return out;
  }

  function ifNodes(s: If, incoming: Dangling[]): Dangling[] {
    if (!isInteresting(s)) return incoming;
    const id = addNode(`n${s.id}`, 'branch', text(s.test.span), s.span.line);
    connect(incoming, id);
    const yes = statement(s.consequent, [{ from: id, label: 'yes' }]);
    const no = s.alternate ? statement(s.alternate, [{ from: id, label: 'no' }]) : [{ from: id, label: 'no' }];
    return [...yes, ...no];
  }

  /**
   * `switch`: a branch node with one edge per case (labelled with its test, or `default`) into the
   * case's statements; a case that falls off its end flows into the next one; without a `default`
   * a `no match` edge goes on after the switch, with the `break`s.
   */
  function switchNodes(s: Switch, incoming: Dangling[], labels: string[]): Dangling[] {
    if (!isInteresting(s)) return incoming;
    const id = addNode(`n${s.id}`, 'branch', `switch (${text(s.discriminant.span)})`, s.span.line);
    connect(incoming, id);
    const ctx: LoopContext = { id, breaks: [], kind: 'switch', labels };
    loops.push(ctx);
    let fall: Dangling[] = [];
    for (const c of s.cases) {
      const into: Dangling = { from: id, label: c.test ? `case ${text(c.test.span)}` : 'default' };
      fall = block(c.consequent, [...fall, into]);
    }
    loops.pop();
    const noMatch: Dangling[] = s.cases.some((c) => !c.test) ? [] : [{ from: id, label: 'no match' }];
    return [...fall, ...noMatch, ...ctx.breaks];
  }

  /** `label: stmt`: a loop or switch takes the label itself; a labeled block collects its `break label`s. */
  function labeledNodes(s: Labeled, incoming: Dangling[], labels: string[]): Dangling[] {
    const all = [...labels, s.label];
    const body = s.body;
    if (body.kind === 'While' || body.kind === 'For' || body.kind === 'ForOf' || body.kind === 'Switch' || body.kind === 'Labeled') {
      return statement(body, incoming, all);
    }
    const ctx: LoopContext = { id: '', breaks: [], kind: 'label', labels: all };
    loops.push(ctx);
    const out = statement(body, incoming);
    loops.pop();
    return [...out, ...ctx.breaks];
  }

  function loopNodes(s: Statement & { kind: 'While' | 'For' | 'ForOf' }, incoming: Dangling[], labels: string[] = []): Dangling[] {
    if (!isInteresting(s)) return incoming;
    // A `for` initializer runs once, before the loop node (it may itself await).
    const before = s.kind === 'For' && s.init ? statement(s.init, incoming) : incoming;
    const header = excerpt(program.source.slice(s.span.start, s.body.span.start));
    const id = addNode(`n${s.id}`, 'loop', header, s.span.line);
    connect(before, id);
    const ctx: LoopContext = { id, breaks: [], labels };
    loops.push(ctx);
    let body = statement(s.body, [{ from: id, label: 'loop' }]);
    if (s.kind === 'For' && s.update) body = statement(s.update, body);
    loops.pop();
    for (const d of body) addEdge(d.from, id, d.label ?? 'next');
    // `while (true)` and `for (;;)` leave only through break or return.
    const endless =
      (s.kind === 'While' && s.test.kind === 'BooleanLiteral' && s.test.value) || (s.kind === 'For' && !s.test);
    return [...(endless ? [] : [{ from: id, label: 'done' }]), ...ctx.breaks];
  }

  const fallThrough = block(wf.body.body, [{ from: start }]);
  const end = addNode('end', 'end', 'end', lineAt(wf.body.span.end));
  connect(returns, end);
  connect(fallThrough, end);
  connect(uncaught, end);
  return { name: wf.name, nodes, edges };
}

// ---- helpers -----------------------------------------------------------------------------------

function calleeName(callee: Expression): string {
  if (callee.kind === 'Identifier') return callee.name;
  if (callee.kind === 'Member' && callee.object.kind === 'Identifier') return `${callee.object.name}.${callee.property}`;
  return '';
}

function objectProp(e: Expression | undefined, key: string): Expression | undefined {
  if (e?.kind !== 'ObjectLiteral') return undefined;
  for (const p of (e as ObjectLiteral).properties) if (p.kind === 'Property' && p.key === key) return p.value;
  return undefined;
}

/** `"1s"` → `1s`, `250` → `250ms`: durations and names read better without quotes. */
function literalText(e: Expression): string {
  if (e.kind === 'StringLiteral') return e.value;
  if (e.kind === 'NumberLiteral') return `${e.value}ms`;
  return '…';
}

function argText(call: Call, i: number): string {
  const a = call.args[i];
  if (!a) return '';
  if (a.kind === 'StringLiteral' || a.kind === 'NumberLiteral') return literalText(a);
  return '…';
}

/** Does this statement hold anything the graph shows (an await or a jump)? */
function isInteresting(s: Statement): boolean {
  switch (s.kind) {
    case 'VarDecl':
      return s.init !== undefined && (s.init.kind === 'Await' || startsHandle(s.init));
    case 'Assign':
      return s.value.kind === 'Await' || startsHandle(s.value);
    case 'ExprStmt':
      return s.expression.kind === 'Await' || startsHandle(s.expression);
    case 'Update':
      return false;
    case 'Block':
      return s.body.some(isInteresting);
    case 'If':
      return isInteresting(s.consequent) || (s.alternate !== undefined && isInteresting(s.alternate));
    case 'While':
      return isInteresting(s.body);
    case 'For':
      return (
        isInteresting(s.body) ||
        (s.init !== undefined && isInteresting(s.init)) ||
        (s.update !== undefined && isInteresting(s.update))
      );
    case 'ForOf':
      return isInteresting((s as ForOf).body);
    case 'Try':
      return isInteresting(s.block) || (s.handler !== undefined && isInteresting(s.handler)) || (s.finalizer !== undefined && isInteresting(s.finalizer));
    case 'Switch':
      return s.cases.some((c) => c.consequent.some(isInteresting));
    case 'Labeled':
      return isInteresting(s.body);
    case 'Invalid':
      return false;
    case 'Break':
    case 'Continue':
    case 'Return':
    case 'Throw':
      return true;
    default:
      return assertNever(s, 'statement');
  }
}

/** `workflows.<name>.startDetached(…)`: a child workflow started and left to run. */
function isDetachedStart(e: Call): boolean {
  const c = e.callee;
  return c.kind === 'Member' && c.property === 'startDetached' && c.object.kind === 'Member' && c.object.object.kind === 'Identifier' && c.object.object.name === 'workflows';
}

/** Names that are built-ins, not tasks, when called (`String(x)`, `now()`): never a task node. */
const BUILTIN_NAMES = new Set(['String', 'Number', 'Boolean', 'now', 'uuid', 'Error', 'addTime', 'startOfDay', 'timeBetween', 'dayOfWeek']);

/** Does this expression start a task, timer or signal without awaiting it (a call to a task name, sleep, signal, Promise.*)? */
function startsHandle(e: Expression): boolean {
  switch (e.kind) {
    case 'Call': {
      const name = calleeName(e.callee);
      if (name === 'sleep' || name === 'sleepUntil' || name === 'signal' || name.startsWith('Promise.') || name.startsWith('workflows.') || isDetachedStart(e)) return true;
      if (e.callee.kind === 'Identifier' && !BUILTIN_NAMES.has(e.callee.name)) return true;
      if (e.callee.kind === 'Member' && e.callee.property === 'map' && e.args.length === 1 && e.args[0]!.kind === 'Identifier' && !BUILTIN_NAMES.has(e.args[0]!.name)) return true;
      return startsHandle(e.callee) || e.args.some(startsHandle);
    }
    case 'ArrayLiteral':
      return e.elements.some((x) => startsHandle(x.kind === 'Spread' ? x.argument : x));
    case 'ObjectLiteral':
      return e.properties.some((x) => startsHandle(x.kind === 'Spread' ? x.argument : x.value));
    case 'TemplateLiteral':
      return e.expressions.some(startsHandle);
    case 'Member':
      return startsHandle(e.object);
    case 'Index':
      return startsHandle(e.object) || startsHandle(e.index);
    case 'Unary':
      return startsHandle(e.argument);
    case 'Binary':
    case 'Logical':
      return startsHandle(e.left) || startsHandle(e.right);
    case 'Conditional':
      return startsHandle(e.test) || startsHandle(e.consequent) || startsHandle(e.alternate);
    default:
      return false;
  }
}

function excerpt(s: string): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > MAX_EXCERPT ? one.slice(0, MAX_EXCERPT - 1) + '…' : one;
}

function lineOf(source: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < Math.min(offset, source.length); i++) if (source.charCodeAt(i) === 10) line++;
  return line;
}

// ---- Mermaid -----------------------------------------------------------------------------------

/** Mermaid-safe node id: `end` is a keyword there, and ids must be word characters. */
function mermaidId(id: string): string {
  const safe = id.replace(/[^A-Za-z0-9_]/g, '_');
  return safe === 'end' ? 'end_' : safe;
}

/**
 * Text inside a quoted Mermaid label. Mermaid has entity codes instead of backslash escapes:
 * `#quot;` for `"`, `#35;` for `#` (first, so the other codes are not re-escaped), `#lt;`/`#gt;`.
 */
function mermaidText(s: string): string {
  return s.replace(/#/g, '#35;').replace(/"/g, '#quot;').replace(/`/g, '#96;').replace(/</g, '#lt;').replace(/>/g, '#gt;');
}

function mermaidShape(kind: GraphNodeKind, label: string): string {
  const t = `"${mermaidText(label)}"`;
  switch (kind) {
    case 'start':
    case 'end':
      return `([${t}])`;
    case 'task':
      return `[${t}]`;
    case 'parallel':
    case 'fanout':
      return `[[${t}]]`;
    case 'sleep':
      return `[/${t}/]`;
    case 'signal':
      return `>${t}]`;
    case 'branch':
      return `{${t}}`;
    case 'loop':
      return `{{${t}}}`;
    case 'return':
      return `(${t})`;
    case 'try':
    case 'finally':
      return `[/${t}\\]`;
    case 'catch':
      return `[\\${t}/]`;
    case 'throw':
      return `((${t}))`;
    case 'race':
      return `(((${t})))`;
    case 'wait':
      return `[(${t})]`;
    case 'handle':
      return `[\\${t}\\]`;
    case 'child':
      return `[[${t}]]`;
    default:
      return assertNever(kind, 'node kind');
  }
}

/** Renders a graph as a Mermaid `flowchart TD`. */
export function toMermaid(graph: Graph): string {
  const lines = ['flowchart TD'];
  for (const n of graph.nodes) lines.push(`  ${mermaidId(n.id)}${mermaidShape(n.kind, n.label)}`);
  for (const e of graph.edges) {
    const label = e.label === undefined ? '' : `|"${mermaidText(e.label)}"|`;
    lines.push(`  ${mermaidId(e.from)} -->${label} ${mermaidId(e.to)}`);
  }
  return lines.join('\n') + '\n';
}

// ---- DOT ---------------------------------------------------------------------------------------

/** A DOT double-quoted string: backslash and quote escaped, newlines as `\n`. */
function dotString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r?\n/g, '\\n')}"`;
}

function dotShape(kind: GraphNodeKind): string {
  switch (kind) {
    case 'start':
    case 'end':
      return 'shape=oval';
    case 'task':
      return 'shape=box, style=rounded';
    case 'parallel':
    case 'fanout':
      return 'shape=box3d';
    case 'sleep':
      return 'shape=parallelogram';
    case 'signal':
      return 'shape=cds';
    case 'branch':
      return 'shape=diamond';
    case 'loop':
      return 'shape=hexagon';
    case 'return':
      return 'shape=box, style="rounded,bold"';
    case 'try':
    case 'finally':
      return 'shape=trapezium';
    case 'catch':
      return 'shape=invtrapezium';
    case 'throw':
      return 'shape=doublecircle';
    case 'race':
      return 'shape=octagon';
    case 'wait':
      return 'shape=cylinder';
    case 'handle':
      return 'shape=box, style=dashed';
    case 'child':
      return 'shape=component';
    default:
      return assertNever(kind, 'node kind');
  }
}

/** Renders a graph as a Graphviz `digraph`. */
export function toDot(graph: Graph): string {
  const lines = [`digraph ${dotString(graph.name)} {`, '  rankdir=TB;', '  node [fontname="Helvetica"];'];
  for (const n of graph.nodes) lines.push(`  ${dotString(n.id)} [label=${dotString(n.label)}, ${dotShape(n.kind)}];`);
  for (const e of graph.edges) {
    const attrs = e.label === undefined ? '' : ` [label=${dotString(e.label)}]`;
    lines.push(`  ${dotString(e.from)} -> ${dotString(e.to)}${attrs};`);
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}
