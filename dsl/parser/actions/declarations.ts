/**
 * Semantic actions (ohm tree → AST) for the program and its top-level declarations: workflows,
 * tasks, helper functions, type aliases and interfaces, parameters, and the TypeScript declarations
 * that are rejected (enums, namespaces, `declare`, …). Merged into the `ast` operation by semantics.ts.
 */
import * as ohm from 'ohm-js';
import type * as A from '../../ast.ts';
import { MESSAGES } from '../messages.ts';
import { ctx, list, mk, opt, reject, report, span, spanNode, untilTerminator } from '../context.ts';
import { genericType, typeArgs } from './types.ts';

function param(this: ohm.Node, name: ohm.Node, type?: ohm.Node, optional = false): A.Param {
  const p: A.Param = { name: name.sourceString, span: spanNode(this) };
  if (type) p.type = type.ast();
  if (optional) p.optional = true;
  return p;
}

/**
 * Reports generic parameters of a declaration (`<T>`), which are not supported; until the next
 * declaration, a reference to one reads as `any` (no "unknown type" after the CS002).
 */
function noTypeParams(iter: ohm.Node): void {
  ctx.typeParams = new Set();
  if (iter.children.length === 0) return;
  report('CS002', spanNode(iter), MESSAGES.generics);
  for (const name of iter.children[0]!.children[1]!.asIteration().children) ctx.typeParams.add(name.sourceString);
}

export const declarationActions: ohm.ActionDict<any> = {
  Program(decls, _end) {
    const types: A.TypeAlias[] = [];
    const tasks: A.TaskDecl[] = [];
    const functions: A.FunctionDecl[] = [];
    const workflows: A.WorkflowDecl[] = [];
    for (const d of decls.children.map((c) => c.ast()) as (A.TypeAlias | A.TaskDecl | A.WorkflowDecl | A.FunctionDecl | A.NullLiteral)[]) {
      if (d.kind === 'TypeAlias') types.push(d);
      else if (d.kind === 'TaskDecl') tasks.push(d);
      else if (d.kind === 'FunctionDecl') functions.push(d);
      else if (d.kind === 'WorkflowDecl') workflows.push(d);
    }
    for (const extra of workflows.slice(1)) {
      const first = workflows[0]!;
      report('CS003', extra.span, `a file declares exactly one workflow: '${extra.name}' is a second one ('${first.name}' is at line ${first.span.line})`);
    }
    const program = {
      kind: 'Program',
      id: -1,
      span: span(0, ctx.source.length),
      file: '',
      source: ctx.source,
      types,
      tasks,
      functions,
      workflow: workflows[0]!,
      nodeCount: 0,
    } satisfies A.Program;
    if (workflows.length === 0 && ctx.recovered.length === 0 && !ctx.diagnostics.some((d) => d.code === 'CS002')) {
      report('CS003', span(0, 0), MESSAGES.missingWorkflow);
    }
    return program;
  },
  PatternProbe(binding, _rest) {
    return binding.ast();
  },
  TopDecl_export_reject(kw, decl) {
    decl.ast();
    return reject(this, MESSAGES.module, kw);
  },
  TopDecl_empty(_semi) {
    return mk('NullLiteral', this, {});
  },
  TopDecl_import_reject(_kw, _tail) {
    return reject(this, MESSAGES.module);
  },
  TopDecl_async_reject(kw, _fn, _star, _rest) {
    return reject(this, MESSAGES.asyncFunction, kw);
  },
  TopDecl_generator_reject(_fn, star, _rest) {
    return reject(this, MESSAGES.generator, star);
  },
  FunctionDecl(_fn, name, _lp, params, _rp, ret, body) {
    const node: A.FunctionDecl = mk('FunctionDecl', this, { name: name.sourceString, params: params.ast(), body: body.ast() });
    const r = opt(ret);
    if (r) node.returnType = r;
    return node;
  },
  FnParams(ps, _comma) {
    return list(ps);
  },
  FnParam_default_reject(target, _q, _colon, _type, eq, _value) {
    report('CS002', span(eq.source.startIdx, this.source.endIdx), MESSAGES.defaultValue);
    return { target: target.ast(), optional: false, span: spanNode(this) } satisfies A.FnParam;
  },
  FnParam_rest_reject(dots, target, _colon, _type) {
    report('CS002', spanNode(dots), MESSAGES.restParam);
    return { target: target.ast(), optional: false, span: spanNode(this) } satisfies A.FnParam;
  },
  FnParam_plain(target, q, _colon, type) {
    const p: A.FnParam = { target: target.ast(), optional: q.children.length > 0, span: spanNode(this) };
    const t = opt(type);
    if (t) p.type = t;
    return p;
  },
  TypeAlias(_type, name, tps, _eq, type, sc) {
    noTypeParams(tps);
    return untilTerminator(mk('TypeAlias', this, { name: name.sourceString, type: type.ast() }), sc);
  },
  InterfaceDecl(_kw, name, tps, ext, body) {
    noTypeParams(tps);
    const members = body.ast() as A.TypeNode;
    const bases = (opt(ext) as A.TypeNode[] | undefined) ?? [];
    const type: A.TypeNode = bases.length === 0 ? members : mk('IntersectionType', this, { types: [...bases, members] });
    return mk('TypeAlias', this, { name: name.sourceString, type, form: 'interface' as const });
  },
  InterfaceExtends(_kw, list) {
    return list.asIteration().children.map((c) => c.ast());
  },
  TypeRefType(name, args) {
    const ta = typeArgs(args);
    return ta ? genericType(this, name, ta) : mk('TypeRef', this, { name: name.sourceString });
  },
  TypeParams(_l, _names, _r) {
    return null;
  },
  RejectTsDecl_enum(kw, _name, _body) {
    return reject(this, MESSAGES.enum, kw);
  },
  RejectTsDecl_constEnum(_const, kw, _name, _body) {
    return reject(this, MESSAGES.enum, kw);
  },
  RejectTsDecl_declare(kw, _tail) {
    return reject(this, MESSAGES.declare, kw);
  },
  RejectTsDecl_namespace(kw, _name, _body) {
    return reject(this, MESSAGES.namespace, kw);
  },
  RejectTsDecl_abstract(kw, _class) {
    return reject(this, MESSAGES.class, kw);
  },
  RejectTsDecl_decorator(at, _name) {
    return reject(this, MESSAGES.decorator, at);
  },
  RejectTsDecl_topVar(kw, _tail) {
    return reject(this, MESSAGES.topVar, kw);
  },
  TaskDecl(_task, name, tps, _lp, params, _rp, ret, policy, sc) {
    noTypeParams(tps);
    const node: A.TaskDecl = mk('TaskDecl', this, { name: name.sourceString, params: params.ast() });
    const r = opt(ret);
    if (r) node.returnType = r;
    const p = opt(policy);
    if (p) node.policy = p;
    return untilTerminator(node, sc);
  },
  WorkflowDecl(_wf, name, tps, _lp, params, _rp, ret, body) {
    noTypeParams(tps);
    const node: A.WorkflowDecl = mk('WorkflowDecl', this, { name: name.sourceString, params: params.ast(), body: body.ast() });
    const r = opt(ret);
    if (r) node.returnType = r;
    return node;
  },
  Params(ps, _comma) {
    return list(ps);
  },
  Param_default_reject(name, _q, _colon, _type, eq, _value) {
    report('CS002', span(eq.source.startIdx, this.source.endIdx), MESSAGES.defaultValue);
    return { name: name.sourceString, span: spanNode(this) };
  },
  Param_rest_reject(dots, name, _colon, _type) {
    report('CS002', spanNode(dots), MESSAGES.restParam);
    return { name: name.sourceString, span: spanNode(this) };
  },
  Param_optionalTyped(name, _q, _colon, type) {
    return param.call(this, name, type, true);
  },
  Param_optional(name, _q) {
    return param.call(this, name, undefined, true);
  },
  Param_typed(name, _colon, type) {
    return param.call(this, name, type);
  },
  Param_plain(name) {
    return param.call(this, name);
  },
  ReturnType(_colon, type) {
    return type.ast();
  },
  Policy(_with, obj) {
    return obj.ast();
  },
};
