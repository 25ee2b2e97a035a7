/**
 * Helpers and callbacks: top-level `function` declarations (signatures, CT019; recursion, CT053;
 * nesting depth, CT055; bodies, with their return types inferred when not written) and arrow
 * functions in callback positions (`checkArrow`, reached through `ctx.arrow`).
 *
 *   function subtotal(l: Line): number { return l.qty * l.price }
 *   workflow w(lines: Line[]) { return lines.map(subtotal).reduce((a, b) => a + b, 0) }
 *
 * A helper's body is checked in a scope of its own (it sees its parameters, not the workflow's
 * variables: CT054) and a callback's in a scope below the one it stands in (it reads the variables
 * around it; assigning them is CT052). Neither may await or call a task (CT051). Statements inside
 * are checked by statements.ts exactly as in the workflow; `ctx.fn` says whose body it is.
 */
import type { ArrowFunction, Block, Expression, FnParam, FunctionDecl, Node } from '../ast.ts';
import { MAX_CALL_DEPTH } from '../interpreter/budget.ts';
import { bind, declaredNames } from './bindings.ts';
import { globalFn, isNamespace } from './builtins.ts';
import { report, show, type ArrowResult, type Ctx, type FnContext, type FnInfo } from './context.ts';
import { assume, NO_FACTS } from './narrowing.ts';
import { Scope } from './scope.ts';
import { needsValue, statements } from './statements.ts';
import { ANY, NULL, union, widenReturn, type Type } from './types.ts';

/** Reads the helpers' signatures into `ctx.functions` (CT019 for a duplicate or a taken name). */
export function declareFunctions(ctx: Ctx): void {
  const p = ctx.program;
  for (const f of p.functions) {
    const params = f.params.map((prm) => (prm.type ? ctx.env.fromNode(prm.type) : ANY));
    const ret = f.returnType ? ctx.env.fromNode(f.returnType) : ANY;
    let taken: string | undefined;
    if (ctx.functions.has(f.name)) taken = 'is declared twice';
    else if (ctx.tasks.has(f.name)) taken = 'has the name of a task';
    else if (f.name === p.workflow.name) taken = 'has the name of the workflow';
    else if (globalFn(f.name) || isNamespace(f.name)) taken = 'has the name of a built-in';
    if (taken) {
      report(ctx, 'CT019', f.span, `function '${f.name}' ${taken}`, { hint: 'rename it' });
      if (ctx.functions.has(f.name)) continue;
    }
    let minArgs = 0;
    f.params.forEach((prm, i) => {
      if (!prm.optional) minArgs = i + 1;
    });
    ctx.functions.set(f.name, { decl: f, params, minArgs, ret });
  }
}

/**
 * Checks every helper's body, callees before callers so that a caller sees the return type its
 * callee's body gives; reports recursion (CT053) and, from the workflow, calls nested too deeply
 * (CT055).
 */
export function checkFunctions(ctx: Ctx): void {
  const edges = new Map<string, { to: string; at: Expression }[]>();
  for (const info of ctx.functions.values()) edges.set(info.decl.name, helperRefs(ctx, info.decl.body));
  const state = new Map<string, 'active' | 'done'>();
  const order: FnInfo[] = [];
  const visit = (name: string, path: string[]): void => {
    state.set(name, 'active');
    for (const e of edges.get(name) ?? []) {
      const s = state.get(e.to);
      if (s === 'active') {
        const cycle = [...path.slice(path.indexOf(e.to)), e.to];
        report(ctx, 'CT053', e.at.span, cycle.length === 2 ? `function '${name}' calls itself: recursion is not allowed` : `recursion is not allowed: ${cycle.join(' → ')}`, {
          hint: 'helpers never call themselves, directly or through others: use a loop (while, for…of) instead',
        });
      } else if (s === undefined) visit(e.to, [...path, e.to]);
    }
    state.set(name, 'done');
    order.push(ctx.functions.get(name)!);
  };
  for (const name of ctx.functions.keys()) if (!state.has(name)) visit(name, [name]);
  for (const info of order) checkHelper(ctx, info);
  tooDeep(ctx);
}

/** Which helpers a body calls or passes as a callback (`g(x)`, `xs.map(g)`), with where. */
function helperRefs(ctx: Ctx, body: Node): { to: string; at: Expression }[] {
  const out: { to: string; at: Expression }[] = [];
  walk(body, (n) => {
    if (n.kind !== 'Call') return;
    const refs = [n.callee, ...n.args];
    for (const r of refs) if (r.kind === 'Identifier' && ctx.functions.has(r.name)) out.push({ to: r.name, at: r });
  });
  return out;
}

/** CT055: from the workflow, helpers and callbacks that would nest deeper than MAX_CALL_DEPTH. */
function tooDeep(ctx: Ctx): void {
  const memo = new Map<string, number>();
  const helperDepth = (name: string): number => {
    const known = memo.get(name);
    if (known !== undefined) return known;
    memo.set(name, 1); // a cycle (already reported) counts once
    const d = 1 + bodyDepth(ctx.functions.get(name)!.decl.body);
    memo.set(name, d);
    return d;
  };
  // the deepest chain of calls a node starts: helpers called or passed, arrow functions run
  const bodyDepth = (root: Node): number => {
    let max = 0;
    walk(root, (n) => {
      if (n.kind === 'ArrowFunction') max = Math.max(max, 1 + bodyDepth(n.body));
      else if (n.kind === 'Call') for (const r of [n.callee, ...n.args]) if (r.kind === 'Identifier' && ctx.functions.has(r.name)) max = Math.max(max, helperDepth(r.name));
      return n.kind !== 'ArrowFunction'; // its body was measured above
    });
    return max;
  };
  // one walk in the usual case; only a chain too deep is looked for call by call, to point at it
  if (bodyDepth(ctx.program.workflow.body) <= MAX_CALL_DEPTH) return;
  let reported = false;
  walk(ctx.program.workflow.body, (n) => {
    if (reported) return false;
    if (n.kind !== 'Call') return;
    const d = bodyDepth(n);
    if (d > MAX_CALL_DEPTH) {
      reported = true;
      report(ctx, 'CT055', n.span, `helpers and callbacks nest ${d} calls deep from here; the limit is ${MAX_CALL_DEPTH}`, {
        hint: 'call the helpers one after another from the workflow instead of each calling the next',
      });
    }
  });
}

/** Visits `root` and every node below it in field order; `visit` returning false skips a node's children. */
function walk(root: Node, visit: (n: Node) => boolean | void): void {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const x = stack.pop();
    if (Array.isArray(x)) {
      for (let i = x.length - 1; i >= 0; i--) stack.push(x[i]);
      continue;
    }
    if (typeof x !== 'object' || x === null) continue;
    const o = x as Record<string, unknown>;
    if (typeof o.kind === 'string' && typeof o.id === 'number' && visit(o as unknown as Node) === false) continue;
    const at = stack.length;
    for (const k in o) {
      const v = o[k];
      if (k !== 'span' && typeof v === 'object' && v !== null) stack.push(v);
    }
    // the fields were pushed in order: reverse them so the first is visited first
    for (let i = at, j = stack.length - 1; i < j; i++, j--) [stack[i], stack[j]] = [stack[j], stack[i]];
  }
}

/** Every name the workflow declares (its parameters and variables, outside arrow functions). */
export function workflowNames(ctx: Pick<Ctx, 'program'>): Set<string> {
  const wf = ctx.program.workflow;
  const names = new Set(wf.params.map((p) => p.name));
  walk(wf.body, (n) => {
    if (n.kind === 'IdentifierPattern') names.add(n.name);
    return n.kind !== 'ArrowFunction';
  });
  return names;
}

/** A helper's body, in a scope of its own; fills in its return type when none is written. */
function checkHelper(ctx: Ctx, info: FnInfo): void {
  const f = info.decl;
  const declared = f.returnType ? info.ret : undefined;
  const ret = inFunction(ctx, { kind: 'helper', name: `function '${f.name}'`, returns: [] }, new Scope(undefined, declaredNames(f.body.body), true), NO_FACTS, declared, () => {
    bindParams(ctx, f.params, info.params);
    return blockBody(ctx, f.body, declared, f);
  });
  if (!declared) info.ret = ret;
}

/** `ctx.arrow`: an arrow function passed to an array method, given the types the method passes. */
export function checkArrow(ctx: Ctx, fn: ArrowFunction, passed: Type[]): ArrowResult {
  const declared = fn.returnType ? ctx.env.fromNode(fn.returnType) : undefined;
  const body = fn.body;
  const scope = new Scope(ctx.scope, body.kind === 'Block' ? declaredNames(body.body) : [], true);
  let narrowedFirst: Type | undefined;
  const ret = inFunction(ctx, { kind: 'callback', name: 'a callback', returns: [] }, scope, ctx.flow, declared, () => {
    if (fn.params.length > passed.length && !fn.params[passed.length]!.optional) {
      report(ctx, 'CT006', fn.params[passed.length]!.span, `this callback takes ${fn.params.length} parameters, but it is passed ${passed.length}`, {
        hint: passed.length === 2 ? 'a comparator is passed (a, b)' : 'an array method passes (value, index, array); reduce passes (accumulator, value, index, array)',
      });
    }
    const types = fn.params.map((p, i) => {
      const given = passed[i] ?? NULL;
      if (!p.type) return given;
      const t = ctx.env.fromNode(p.type);
      if (passed[i] !== undefined && !ctx.env.assignable(given, t)) {
        report(ctx, 'CT007', p.span, `the parameter is declared ${show(ctx, t)}, but it is passed ${show(ctx, given)}`);
      }
      return t;
    });
    bindParams(ctx, fn.params, types);
    if (body.kind === 'Block') return blockBody(ctx, body, declared, undefined);
    const t = ctx.expr(body);
    const first = fn.params[0]?.target;
    if (first?.kind === 'IdentifierPattern') {
      const b = ctx.scope.own(first.name);
      const refined = b?.uid !== undefined ? assume(ctx, body, true).get(String(b.uid)) : undefined;
      if (refined) narrowedFirst = refined;
    }
    if (declared) {
      if (!ctx.env.assignable(t, declared)) report(ctx, 'CT007', body.span, `cannot return ${show(ctx, t)} from a callback declared to return ${show(ctx, declared)}`);
      return declared;
    }
    return widenReturn(t);
  });
  return narrowedFirst ? { ret, narrowedFirst } : { ret };
}

/** Runs `check` as the body of a function: its own scope, loops, facts and return type. */
function inFunction(ctx: Ctx, fn: FnContext, scope: Scope, flow: typeof ctx.flow, declared: Type | undefined, check: () => Type): Type {
  const saved = { scope: ctx.scope, fn: ctx.fn, flow: ctx.flow, returnType: ctx.returnType };
  const loops = ctx.loops.splice(0); // break and continue never leave a function
  ctx.scope = scope;
  ctx.fn = fn;
  ctx.flow = flow;
  ctx.returnType = declared;
  try {
    return check();
  } finally {
    ctx.scope = saved.scope;
    ctx.fn = saved.fn;
    ctx.flow = saved.flow;
    ctx.returnType = saved.returnType;
    ctx.loops.splice(0, ctx.loops.length, ...loops);
  }
}

function bindParams(ctx: Ctx, params: FnParam[], types: Type[]): void {
  params.forEach((p, i) => bind(ctx, p.target, types[i] ?? ANY, 'let'));
}

/** A block body: its statements, CT012 when a written return type is not always returned; gives the return type. */
function blockBody(ctx: Ctx, body: Block, declared: Type | undefined, decl: FunctionDecl | undefined): Type {
  const fallsOff = statements(ctx, body.body);
  if (declared) {
    if (fallsOff && needsValue(ctx, declared)) {
      report(ctx, 'CT012', decl ? decl.span : body.span, `${ctx.fn!.name} must return ${show(ctx, declared)}, but can reach its end without a return`, {
        hint: 'add a return statement on every path',
      });
    }
    return declared;
  }
  const returns = ctx.fn!.returns;
  if (fallsOff) returns.push(NULL);
  return returns.length === 0 ? NULL : widenReturn(union(returns));
}
