/**
 * What is where in a parsed program, for editors: the nodes at an offset, the names visible there,
 * and the declaration a name refers to.
 *
 * Takes a `Program` (dsl/ast.ts) and a 0-based UTF-16 offset (the same unit as `Span.start`); gives
 * plain data naming nodes and spans. Pure, never throws on a parsed program.
 *
 *   const p = parse('task t(x: string): number\nworkflow w(a: string) { const n = await t(a); return n }').program!
 *   nodePathAt(p, 62).map((n) => n.kind)   // => ['Program', 'WorkflowDecl', 'Block', 'VarDecl', 'Await', 'Call', 'Identifier']
 *   definitionAt(p, 62)                    // => { name: 't', binding: { kind: 'task', span: 1:6 … }, usage: … }
 *   scopeAt(p, 75).map((b) => b.name)      // => ['n', 'a']   (innermost first)
 *
 * Scoping follows the checker (dsl/checker/scope.ts): a block's `const`/`let` are its own, `for`
 * declarations belong to the loop, a `for…of` binding and a `catch` binding to their body, the
 * parameters of the workflow, a helper or an arrow function to its body; a helper sees only its own
 * parameters (never the workflow's variables). Names resolve innermost first, then to tasks, then
 * helpers; type references to `type` aliases.
 */
import type { FnParam, Node, Pattern, Program, Span, Statement } from '../ast.ts';

/** A declared name. */
export interface Binding {
  name: string;
  kind: 'const' | 'let' | 'param' | 'catch' | 'task' | 'function' | 'type' | 'workflow';
  /** The name itself where it is declared: where "go to definition" lands. */
  span: Span;
  /** The whole declaration (`const x = …`, `task t(…): T`, the parameter `a: string`). */
  declaration: Span;
  /**
   * The `IdentifierPattern` node that declares a variable: `analyze(program).typeOf(nodeId)` is its
   * type. Absent for the workflow's parameters (they are not nodes) and for top-level declarations.
   */
  nodeId?: number;
}

/** A name used at an offset and the declaration it refers to. */
export interface Definition {
  name: string;
  /** The span of the name where it is used (or declared, when the offset is on a declaration). */
  usage: Span;
  binding: Binding;
}

function isNode(v: unknown): v is Node {
  return typeof v === 'object' && v !== null && 'kind' in v && 'id' in v && 'span' in v;
}

/** The nodes directly below `node`, in source order, looking through arrays and plain objects (params, members). */
export function childNodes(node: Node): Node[] {
  const out: Node[] = [];
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (isNode(v)) out.push(v);
    else if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) if (k !== 'span') visit(x);
  };
  for (const [k, v] of Object.entries(node)) if (k !== 'span' && k !== 'source') visit(v);
  return out.sort((a, b) => a.span.start - b.span.start);
}

function within(s: Span, offset: number): boolean {
  return s.start <= offset && offset <= s.end;
}

/**
 * The nodes whose span holds `offset`, outermost (the Program) first, innermost last. A span holds
 * its end too, so the cursor just after `payment` is on `payment`; where two children touch, the one
 * starting at the offset wins over the one ending there.
 */
export function nodePathAt(program: Program, offset: number): Node[] {
  const path: Node[] = [program];
  let node: Node = program;
  for (;;) {
    const kids: Node[] = childNodes(node).filter((k) => within(k.span, offset));
    const next: Node | undefined = kids.find((k) => k.span.start <= offset && offset < k.span.end) ?? kids[kids.length - 1];
    if (!next) return path;
    path.push(next);
    node = next;
  }
}

/** The innermost node at `offset` (the Program when nothing smaller holds it). */
export function nodeAt(program: Program, offset: number): Node {
  const path = nodePathAt(program, offset);
  return path[path.length - 1]!;
}

/** The span of `name` as a whole word at or after `from` within `within` (declarations keep no span of their name). */
function nameSpan(program: Program, name: string, outer: Span, from = outer.start): Span {
  const text = program.source;
  const re = new RegExp(`(?<![\\p{L}\\p{N}_$])${name.replace(/\$/g, '\\$')}(?![\\p{L}\\p{N}_$])`, 'gu');
  re.lastIndex = from;
  const m = re.exec(text);
  const start = m && m.index < outer.end ? m.index : outer.start;
  return spanAt(program, start, start + (m && m.index < outer.end ? name.length : 0));
}

function spanAt(program: Program, start: number, end: number): Span {
  const before = program.source.slice(0, start);
  const line = before.split('\n').length;
  return { start, end, line, col: start - (before.lastIndexOf('\n') + 1) + 1 };
}

/** The top-level declarations: type aliases, tasks, helpers and the workflow, in source order. */
export function declarations(program: Program): Binding[] {
  const keyword = { TypeAlias: 4, TaskDecl: 4, FunctionDecl: 8, WorkflowDecl: 8 } as const;
  const decls = [...program.types, ...program.tasks, ...program.functions, program.workflow].filter((d) => d !== undefined);
  const kinds = { TypeAlias: 'type', TaskDecl: 'task', FunctionDecl: 'function', WorkflowDecl: 'workflow' } as const;
  return decls
    .map((d) => ({ name: d.name, kind: kinds[d.kind], span: nameSpan(program, d.name, d.span, d.span.start + keyword[d.kind]), declaration: d.span }))
    .sort((a, b) => a.declaration.start - b.declaration.start);
}

/** The names a binding pattern declares, as bindings of `kind` over `declaration`. */
function patternBindings(p: Pattern | undefined, kind: Binding['kind'], declaration: Span, out: Binding[] = []): Binding[] {
  if (!p) return out;
  switch (p.kind) {
    case 'IdentifierPattern':
      out.push({ name: p.name, kind, span: p.span, declaration, nodeId: p.id });
      break;
    case 'ArrayPattern':
      p.elements.forEach((e) => patternBindings(e ?? undefined, kind, declaration, out));
      patternBindings(p.rest, kind, declaration, out);
      break;
    case 'ObjectPattern':
      p.properties.forEach((prop) => patternBindings(prop.value, kind, declaration, out));
      patternBindings(p.rest, kind, declaration, out);
      break;
  }
  return out;
}

function fnParamBindings(params: FnParam[]): Binding[] {
  return params.flatMap((p) => patternBindings(p.target, 'param', p.span));
}

/** What the statements of a block declare for the whole block (`const`/`let` at its top level). */
function blockBindings(body: Statement[]): Binding[] {
  return body.flatMap((s) => (s.kind === 'VarDecl' ? patternBindings(s.target, s.declKind, s.span) : []));
}

/**
 * The variables and parameters in scope at `offset`, innermost first, each name once (an inner
 * declaration hides an outer one). With `declaredBefore`, only names declared before the offset
 * and not by the declaration the offset is in (`const x = x…` does not offer `x`): what completion
 * may suggest.
 */
export function scopeAt(program: Program, offset: number, opts: { declaredBefore?: boolean } = {}): Binding[] {
  const frames = framesAt(program, offset);
  const seen = new Set<string>();
  const out: Binding[] = [];
  for (let i = frames.length - 1; i >= 0; i--) {
    for (const b of frames[i]!) {
      if (seen.has(b.name)) continue;
      if (opts.declaredBefore && (b.span.end >= offset || within(b.declaration, offset))) continue;
      seen.add(b.name);
      out.push(b);
    }
  }
  return out;
}

/** The scopes around `offset`, outermost first: each the list of names it declares. */
function framesAt(program: Program, offset: number): Binding[][] {
  const path = nodePathAt(program, offset);
  const frames: Binding[][] = [];
  for (const node of path) {
    switch (node.kind) {
      case 'WorkflowDecl':
        if (within(node.body.span, offset)) {
          frames.push(node.params.map((p) => ({ name: p.name, kind: 'param' as const, span: spanAt(program, p.span.start, p.span.start + p.name.length), declaration: p.span })));
        }
        break;
      case 'FunctionDecl':
      case 'ArrowFunction':
        if (within(node.body.span, offset)) frames.push(fnParamBindings(node.params));
        break;
      case 'Block':
        frames.push(blockBindings(node.body));
        break;
      case 'For':
        if (node.init?.kind === 'VarDecl') frames.push(patternBindings(node.init.target, node.init.declKind, node.init.span));
        break;
      case 'ForOf':
        if (within(node.body.span, offset)) frames.push(patternBindings(node.target, node.declKind, node.target.span));
        break;
      case 'Try':
        if (node.handler && within(node.handler.span, offset)) frames.push(patternBindings(node.param, 'catch', node.param?.span ?? node.handler.span));
        break;
      default:
        break;
    }
  }
  return frames;
}

/**
 * The declaration that the name at `offset` refers to: a variable or parameter (innermost scope
 * first, as the checker resolves it), a task, a helper, a type alias; or the declaration itself
 * when the offset is on a declared name. Undefined for built-ins, properties, literals and unknown
 * names.
 */
export function definitionAt(program: Program, offset: number): Definition | undefined {
  const top = declarations(program);
  const onTop = top.find((d) => within(d.span, offset));
  if (onTop) return { name: onTop.name, usage: onTop.span, binding: onTop };
  const node = nodeAt(program, offset);
  switch (node.kind) {
    case 'Identifier': {
      const b = scopeAt(program, offset).find((v) => v.name === node.name) ?? top.find((d) => d.name === node.name && (d.kind === 'task' || d.kind === 'function'));
      return b && { name: node.name, usage: node.span, binding: b };
    }
    case 'TypeRef': {
      const b = top.find((d) => d.kind === 'type' && d.name === node.name);
      return b && { name: node.name, usage: node.span, binding: b };
    }
    case 'IdentifierPattern': {
      const b = declaringBinding(program, offset, node.id) ?? patternBindings(node, 'const', node.span)[0]!;
      return { name: node.name, usage: node.span, binding: b };
    }
    case 'WorkflowDecl': {
      const p = node.params.find((x) => x.span.start <= offset && offset <= x.span.start + x.name.length);
      if (!p) return undefined;
      const span = spanAt(program, p.span.start, p.span.start + p.name.length);
      return { name: p.name, usage: span, binding: { name: p.name, kind: 'param', span, declaration: p.span } };
    }
    default:
      return undefined;
  }
}

/** The binding that the pattern node `id` at `offset` declares, read from the declaration around it. */
function declaringBinding(program: Program, offset: number, id: number): Binding | undefined {
  const path = nodePathAt(program, offset);
  for (let i = path.length - 1; i >= 0; i--) {
    const n = path[i]!;
    let found: Binding[] = [];
    if (n.kind === 'VarDecl') found = patternBindings(n.target, n.declKind, n.span);
    else if (n.kind === 'ForOf') found = patternBindings(n.target, n.declKind, n.target.span);
    else if (n.kind === 'Try') found = patternBindings(n.param, 'catch', n.param?.span ?? n.span);
    else if (n.kind === 'FunctionDecl' || n.kind === 'ArrowFunction') found = fnParamBindings(n.params);
    const b = found.find((x) => x.nodeId === id);
    if (b) return b;
  }
  return undefined;
}
