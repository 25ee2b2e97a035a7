/**
 * Declarations: type aliases (CT018, CT019, CT022), tasks and parameters (CT019), helper functions
 * (functions.ts), and the workflow itself — its parameters and body, and whether the body can end
 * without the declared return (CT012).
 */
import type { Param, Program, Span, TypeNode } from '../ast.ts';
import type { Diagnostic } from '../diagnostics.ts';
import { globalFn, isNamespace } from './builtins.ts';
import { declaredNames } from './bindings.ts';
import { report, show, type Ctx } from './context.ts';
import { checkFunctions, declareFunctions, workflowNames } from './functions.ts';
import { handleTypeAtEdge } from './handles.ts';
import { NO_FACTS } from './narrowing.ts';
import { policy } from './policies.ts';
import { Scope } from './scope.ts';
import { needsValue, statements } from './statements.ts';
import { ANY, NULL, TypeEnv, didYouMean, union, type Type } from './types.ts';

/** A fresh context for `program`: its type aliases read (reporting duplicates and bad aliases). */
export function createContext(program: Program, hooks: Pick<Ctx, 'expr' | 'call' | 'arrow' | 'types' | 'deployment'>): Ctx {
  const diags: Diagnostic[] = [];
  const sink = { diags };
  const aliases = new Map<string, { type: TypeNode; span: Span }>();
  for (const t of program.types) {
    if (aliases.has(t.name)) {
      report(sink, 'CT019', t.span, `type '${t.name}' is declared twice`, { hint: 'rename one of them' });
      continue;
    }
    aliases.set(t.name, { type: t.type, span: t.span });
  }
  const env = new TypeEnv(aliases, (kind, name, span) => {
    if (kind === 'aliasCycle') {
      report(sink, 'CT022', span, `type '${name}' refers to itself without an object or array in between`, {
        hint: 'a recursive type must go through a field or an element type, e.g. { children: Tree[] }',
      });
    } else {
      // `aliases`, not env: alias bodies are converted inside TypeEnv's constructor
      const near = didYouMean(name, [...aliases.keys(), 'string', 'number', 'boolean', 'null', 'any', 'void']);
      report(sink, 'CT018', span, `unknown type '${name}'${near ? ` (did you mean '${near}'?)` : ''}`, {
        hint: near ? undefined : `declare it with \`type ${name} = …\` or use any`,
      });
    }
  });
  return {
    program,
    diags,
    env,
    tasks: new Map(),
    scope: new Scope(undefined),
    loops: [],
    returnType: undefined,
    partial: false,
    signals: new Map(),
    flow: NO_FACTS,
    fn: undefined,
    functions: new Map(),
    workflowNames: workflowNames({ program }),
    ...hooks,
  };
}

/** Checks the whole program; gives the diagnostics in the order found (check() sorts them). */
export function checkProgram(ctx: Ctx): Diagnostic[] {
  const p = ctx.program;
  const wf = p.workflow;
  for (const t of p.tasks) {
    if (t.recovered) {
      // the stand-in of a declaration that did not parse: known by name only
      if (!ctx.tasks.has(t.name)) ctx.tasks.set(t.name, { decl: t, params: [], ret: ANY });
      continue;
    }
    const params = checkParams(ctx, t.params, `task '${t.name}'`);
    const ret = t.returnType ? ctx.env.fromNode(t.returnType) : ANY;
    if (t.returnType) handleTypeAtEdge(ctx, ret, t.returnType.span, `the result of task '${t.name}'`);
    if (t.policy) policy(ctx, t.policy, true);
    if (ctx.tasks.has(t.name)) {
      report(ctx, 'CT019', t.span, `task '${t.name}' is declared twice`, { hint: 'rename one of them' });
      continue;
    }
    if (t.name === wf.name) {
      report(ctx, 'CT019', t.span, `task '${t.name}' has the same name as the workflow`, { hint: 'rename the task or the workflow' });
    } else if (globalFn(t.name) || isNamespace(t.name)) {
      report(ctx, 'CT019', t.span, `task '${t.name}' has the name of a built-in`, { hint: 'rename the task' });
    }
    ctx.tasks.set(t.name, { decl: t, params, ret });
  }

  declareFunctions(ctx);
  checkFunctions(ctx);

  // The parameters and the body's top-level declarations share one scope, as in JavaScript
  // (`workflow w(a) { const a = 1 }` is a redeclaration).
  const paramTypes = checkParams(ctx, wf.params, `workflow '${wf.name}'`);
  ctx.scope = new Scope(undefined, declaredNames(wf.body.body));
  wf.params.forEach((prm, i) => {
    if (!ctx.scope.own(prm.name)) ctx.scope.declare({ name: prm.name, kind: 'param', type: paramTypes[i]!, span: prm.span });
  });
  ctx.returnType = wf.returnType ? ctx.env.fromNode(wf.returnType) : undefined;
  // a result type with a handle in it is reported once, not again at every return
  if (ctx.returnType && !handleTypeAtEdge(ctx, ctx.returnType, wf.returnType!.span, `the result of workflow '${wf.name}'`)) ctx.returnType = ANY;
  const fallsOff = statements(ctx, wf.body.body);
  if (fallsOff && !ctx.partial && ctx.returnType && needsValue(ctx, ctx.returnType)) {
    report(ctx, 'CT012', wf.span, `workflow '${wf.name}' must return ${show(ctx, ctx.returnType)}, but can reach its end without a return`, {
      hint: 'add a return statement on every path (or declare the return type void)',
    });
  }
  return ctx.diags;
}

function checkParams(ctx: Ctx, params: Param[], owner: string): Type[] {
  const seen = new Set<string>();
  let optional: Param | undefined;
  return params.map((prm) => {
    if (seen.has(prm.name)) report(ctx, 'CT019', prm.span, `parameter '${prm.name}' of ${owner} is declared twice`, { hint: 'rename one of them' });
    seen.add(prm.name);
    if (prm.optional) optional ??= prm;
    else if (optional) {
      report(ctx, 'CT019', prm.span, `a required parameter cannot follow the optional parameter '${optional.name}'`, { hint: `make '${prm.name}' optional too, or move it before '${optional.name}'` });
    }
    const t = prm.type ? ctx.env.fromNode(prm.type) : ANY;
    if (prm.type) handleTypeAtEdge(ctx, t, prm.type.span, `parameter '${prm.name}' of ${owner}`);
    // `name?: T` may be left out: it reads as null
    return prm.optional ? union([t, NULL]) : t;
  });
}
