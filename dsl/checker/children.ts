/**
 * Child workflow starts in the checker: `workflows.<name>(input, { id? })` (a handle, or what its
 * `await` gives: the child's declared result) and `workflows.<name>.startDetached(input, { id? })`
 * (the child's id, a string), checked against the deployment — the other workflows the engine or
 * the CLI loads beside this one (`CheckOptions.workflows`):
 *
 *   CT070  the name is no workflow of the deployment (with a did-you-mean)
 *   CT071  the input object does not fit the child's parameters (missing, unknown or ill-typed field)
 *   CT072  wrong arguments or options (no input, more than two arguments, an option other than id)
 *   CT073  `workflows` used as a value, or any other member of it called
 *
 * Without a deployment (`compile(source)` alone, a runtime recompiling a stored definition) the
 * names and inputs are not checked here; the runtime then refuses an unknown workflow (CR041) or
 * an input that does not fit (CR042) as a catchable failure at the await.
 *
 *   deploymentOf([{ file: 'charge.workflow', source }])   // Map { 'charge' => { params, ret } }
 */
import type { Call, Member, Program, Span } from '../ast.ts';
import { parse } from '../parser.ts';
import { awaitInFunction, definitelyNot, propertySpan, report, show, type Ctx } from './context.ts';
import { ANY, NULL, STRING, didYouMean, TypeEnv, type Type, type WorkflowSignature } from './types.ts';

export type { Deployment, WorkflowSignature } from './types.ts';

/** The namespace of child workflow starts (a variable of this name hides it). */
export const WORKFLOWS = 'workflows';

/** How an editor shows a deployment's workflow as a child start: `({ orderId: string, amount: number }) => Receipt`. */
export function signatureText(sig: WorkflowSignature): string {
  const env = new TypeEnv(new Map(), () => {});
  return `({ ${sig.params.map((p) => `${p.name}: ${env.show(p.type)}`).join(', ')} }) => ${env.show(sig.ret)}`;
}

/** The signature of a parsed workflow (its aliases expanded, recursive ones to `any` past a few levels). */
export function signatureOf(program: Program): WorkflowSignature {
  const aliases = new Map(program.types.map((a) => [a.name, { type: a.type, span: a.span }]));
  const env = new TypeEnv(aliases, () => {});
  const of = (n: Parameters<TypeEnv['fromNode']>[0] | undefined) => (n ? inline(env, env.fromNode(n), 0) : ANY);
  return { params: program.workflow.params.map((p) => ({ name: p.name, type: of(p.type) })), ret: of(program.workflow.returnType) };
}

/**
 * The deployment of a set of workflow files: each one that parses, by its workflow's name (the
 * first of two with one name wins; the engine refuses such a set when it loads it).
 */
export function deploymentOf(files: { file: string; source: string }[]): Map<string, WorkflowSignature> {
  const out = new Map<string, WorkflowSignature>();
  for (const f of files) {
    const p = parse(f.source, f.file).program;
    if (p && !out.has(p.workflow.name)) out.set(p.workflow.name, signatureOf(p));
  }
  return out;
}

/** `t` with its alias references expanded (depth-bounded: a recursive alias reads as `any` below 6 levels). */
function inline(env: TypeEnv, t: Type, depth: number): Type {
  if (depth > 6) return ANY;
  const r = env.resolve(t);
  switch (r.kind) {
    case 'array':
      return { kind: 'array', element: inline(env, r.element, depth + 1) };
    case 'tuple':
      return { kind: 'tuple', elements: r.elements.map((e) => inline(env, e, depth + 1)) };
    case 'object':
      return { kind: 'object', fields: Object.fromEntries(Object.entries(r.fields).map(([k, f]) => [k, { type: inline(env, f.type, depth + 1), optional: f.optional }])) };
    case 'union':
      return { kind: 'union', types: r.types.map((m) => inline(env, m, depth + 1)) };
    case 'promise':
    case 'ref':
      return ANY;
    default:
      return r;
  }
}

/** `workflows.<name>(…)` (not hidden by a variable)? */
export function isChildCall(ctx: Ctx, c: Call): c is Call & { callee: Member } {
  const callee = c.callee;
  return callee.kind === 'Member' && callee.object.kind === 'Identifier' && callee.object.name === WORKFLOWS && ctx.scope.lookup(WORKFLOWS).state === 'missing';
}

/** `workflows.<name>.<method>(…)` (not hidden by a variable)? */
export function isChildMethodCall(ctx: Ctx, c: Call): c is Call & { callee: Member & { object: Member } } {
  const callee = c.callee;
  return (
    callee.kind === 'Member' &&
    callee.object.kind === 'Member' &&
    callee.object.object.kind === 'Identifier' &&
    callee.object.object.name === WORKFLOWS &&
    ctx.scope.lookup(WORKFLOWS).state === 'missing'
  );
}

/** `workflows.<name>(input, { id? })`: what its `await` gives (the child's declared result). */
export function childCall(ctx: Ctx, c: Call & { callee: Member }): Type {
  const sig = startArgs(ctx, c, c.callee, `workflows.${c.callee.property}`);
  return sig ? sig.ret : ANY;
}

/** `workflows.<name>.startDetached(input, { id? })`: the child's id. Any other method: CT073. */
export function childMethodCall(ctx: Ctx, c: Call & { callee: Member & { object: Member } }): Type {
  const wf = c.callee.object;
  if (c.callee.property !== 'startDetached') {
    report(ctx, 'CT073', propertySpan(ctx, c.callee), `workflows.${wf.property} has no method '${c.callee.property}'`, {
      hint: `await workflows.${wf.property}(input) to run it as a child and get its result, or workflows.${wf.property}.startDetached(input) to start it and go on`,
    });
    c.args.forEach((a) => ctx.expr(a));
    return ANY;
  }
  if (ctx.fn) awaitInFunction(ctx, c.span, `workflows.${wf.property}.startDetached(…) starts a workflow`);
  startArgs(ctx, c, wf, `workflows.${wf.property}.startDetached`);
  return STRING;
}

/** Checks the name, the input and the options; gives the child's signature when the deployment knows it. */
function startArgs(ctx: Ctx, c: Call, named: Member, what: string): WorkflowSignature | undefined {
  const name = named.property;
  let sig: WorkflowSignature | undefined;
  if (ctx.deployment) {
    sig = ctx.deployment.get(name);
    if (!sig) {
      const near = didYouMean(name, ctx.deployment.keys());
      const all = [...ctx.deployment.keys()].sort();
      report(ctx, 'CT070', propertySpan(ctx, named), `unknown workflow '${name}'${near ? ` (did you mean '${near}'?)` : ''}: it is not part of the deployment`, {
        hint: near ? undefined : all.length ? `the deployment has: ${all.join(', ').slice(0, 200)}` : 'put its .workflow file beside this one (the same folder is the deployment)',
      });
    }
  }
  if (c.policy) report(ctx, 'CT072', c.span, `${what} takes no task policy (with { … }): a child workflow's tasks have their own`);
  if (c.args.length < 1 || c.args.length > 2) {
    report(ctx, 'CT072', c.span, `${what} takes the child's input and an optional { id }, got ${c.args.length} argument${c.args.length === 1 ? '' : 's'}`, {
      hint: `${what}({ orderId, amount }): one field per parameter of the child workflow`,
    });
  }
  const [inputArg, optsArg, ...rest] = c.args;
  rest.forEach((a) => ctx.expr(a));
  if (inputArg) input(ctx, ctx.expr(inputArg), inputArg.span, name, sig);
  if (optsArg) options(ctx, ctx.expr(optsArg), optsArg.span, what);
  return sig;
}

function input(ctx: Ctx, t: Type, span: Span, name: string, sig: WorkflowSignature | undefined): void {
  if (definitelyNot(ctx, t, (m) => m.kind === 'object')) {
    report(ctx, 'CT071', span, `the input of workflow '${name}' must be an object keyed by its parameters, got ${show(ctx, t)}`, {
      hint: sig ? `e.g. { ${sig.params.map((p) => p.name).join(', ')} }` : 'e.g. { orderId, amount }',
    });
    return;
  }
  const ms = ctx.env.members(t);
  if (!sig || ms.length !== 1 || ms[0]!.kind !== 'object') return; // any, or a union: left to the runtime
  const fields = (ms[0] as Extract<Type, { kind: 'object' }>).fields;
  const takes = sig.params.length ? `workflow '${name}' takes ${sig.params.map((p) => p.name).join(', ')}` : `workflow '${name}' takes no parameters`;
  for (const k of Object.keys(fields)) {
    if (!sig.params.some((p) => p.name === k)) report(ctx, 'CT071', span, `unknown parameter '${k}' (${takes})`);
  }
  for (const p of sig.params) {
    const f = fields[p.name];
    const nullable = ctx.env.members(p.type).some((m) => m.kind === 'any' || m.kind === 'null');
    if (!f) {
      if (!nullable) report(ctx, 'CT071', span, `missing parameter '${p.name}' of workflow '${name}' (${show(ctx, p.type)})`);
      continue;
    }
    if (!ctx.env.assignable(f.type, p.type)) {
      const why = ctx.env.whyNot(f.type, p.type);
      report(ctx, 'CT071', span, `parameter '${p.name}' of workflow '${name}' is ${show(ctx, p.type)}, got ${show(ctx, f.type)}${why ? ` (${why})` : ''}`);
    }
  }
}

function options(ctx: Ctx, t: Type, span: Span, what: string): void {
  const ms = ctx.env.members(t);
  if (definitelyNot(ctx, t, (m) => m.kind === 'object')) {
    report(ctx, 'CT072', span, `${what}: options must be an object like { id: "charge-o1" }, got ${show(ctx, t)}`);
    return;
  }
  if (ms.length !== 1 || ms[0]!.kind !== 'object') return;
  const fields = (ms[0] as Extract<Type, { kind: 'object' }>).fields;
  for (const [k, f] of Object.entries(fields)) {
    if (k !== 'id') report(ctx, 'CT072', span, `${what}: unknown option '${k}' (only id)`);
    else if (!ctx.env.assignable(f.type, { kind: 'union', types: [STRING, NULL] })) report(ctx, 'CT072', span, `${what}: id must be a string, got ${show(ctx, f.type)}`);
  }
}
