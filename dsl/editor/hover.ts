/**
 * What an editor shows when the pointer rests on a name: its kind and type, as one line of code.
 *
 * Takes a program, its analysis (`analyze`) and an offset; gives the span hovered and the text, or
 * undefined where there is nothing to say (keywords, literals, spaces).
 *
 *   hoverAt(program, analyze(program), offsetOf('payment.success'))
 *   // => { span, code: 'const payment: { success: boolean, paymentId?: string }' }
 *   hoverAt(program, analysis, offsetOf('chargeCard('))
 *   // => { span, code: 'task chargeCard(orderId: string, amount: number): Payment' }
 *
 * Types are the checker's, narrowed where the name stands (`analysis.typeOf`); declarations of
 * tasks, helpers and type aliases are shown as written (whitespace folded).
 */
import type { Analysis } from '../checker/index.ts';
import type { Call, Member, Node, Program, Span } from '../ast.ts';
import { builtinGlobal, builtinMember, isBuiltinNamespace, namespaceMembers } from './builtins.ts';
import { definitionAt, nodePathAt, scopeAt, type Binding } from './lookup.ts';

export interface Hover {
  /** What the hover is about (the name under the pointer). */
  span: Span;
  /** One declaration-like line: `const x: number`, `task t(a: string): R`, `(method) trim(): string`. */
  code: string;
  /** A sentence under it, when there is one worth saying. */
  doc?: string;
}

const MAX_CODE = 400;

function fold(text: string): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > MAX_CODE ? `${t.slice(0, MAX_CODE)}…` : t;
}

/** The source text of a declaration, up to its body for the workflow and helpers. */
export function declarationText(program: Program, b: Binding): string {
  const decl = [...program.types, ...program.tasks, ...program.functions, program.workflow].find((d) => d && d.span.start === b.declaration.start);
  const end = decl && (decl.kind === 'FunctionDecl' || decl.kind === 'WorkflowDecl') ? decl.body.span.start : b.declaration.end;
  return fold(program.source.slice(b.declaration.start, end));
}

/** The type of a variable or parameter as text: the checker's when known, else as written (workflow parameters). */
function bindingType(program: Program, analysis: Analysis | undefined, b: Binding, useId?: number): string {
  const known = (useId !== undefined ? analysis?.typeOf(useId) : undefined) ?? (b.nodeId !== undefined ? analysis?.typeOf(b.nodeId) : undefined);
  if (known) return known;
  if (b.kind === 'param' && b.nodeId === undefined) {
    const p = program.workflow.params.find((x) => x.span.start === b.declaration.start);
    if (p?.type) return fold(program.source.slice(p.type.span.start, p.type.span.end));
  }
  return 'any';
}

function variableLine(b: Binding, type: string): string {
  const label = b.kind === 'param' ? '(parameter) ' : b.kind === 'catch' ? '(catch) ' : `${b.kind} `;
  return `${label}${b.name}: ${type}`;
}

function topHover(program: Program, b: Binding, span: Span): Hover {
  const doc =
    b.kind === 'task' ? 'A task: runs outside the workflow (Node or Python); call it with await.' : b.kind === 'function' ? 'A helper: pure, runs to completion where it is called.' : undefined;
  return doc ? { span, code: declarationText(program, b), doc } : { span, code: declarationText(program, b) };
}

/** What to show for the name at `offset`; undefined when there is none. */
export function hoverAt(program: Program, analysis: Analysis | undefined, offset: number): Hover | undefined {
  const path = nodePathAt(program, offset);
  const node = path[path.length - 1]!;
  const parent = path[path.length - 2];
  const def = definitionAt(program, offset);
  if (def) {
    const b = def.binding;
    if (b.kind === 'task' || b.kind === 'function' || b.kind === 'type' || b.kind === 'workflow') return topHover(program, b, def.usage);
    return { span: def.usage, code: variableLine(b, bindingType(program, analysis, b, node.kind === 'Identifier' ? node.id : undefined)) };
  }
  if (node.kind === 'Identifier') {
    if (isBuiltinNamespace(node.name) && !scopeAt(program, offset).some((v) => v.name === node.name)) {
      return { span: node.span, code: `namespace ${node.name}`, doc: namespaceMembers(node.name).map((m) => m.name).join(', ') };
    }
    const g = builtinGlobal(node.name);
    if (g) return { span: node.span, code: `function ${g.signature}`, doc: g.handle ? `Makes a handle: \`await\` it (the instance waits durably) or keep it and await it later.` : undefined };
    return undefined;
  }
  if (node.kind === 'Member' && !(node.object.span.start <= offset && offset <= node.object.span.end)) return memberHover(program, analysis, node, parent, offset);
  return undefined;
}

/** The span of `.property` in `object.property` (the AST keeps no span for the name alone). */
function propertySpan(program: Program, m: Member): Span {
  const end = m.span.end;
  const start = end - m.property.length;
  const ok = program.source.slice(start, end) === m.property;
  const s = ok ? start : m.span.start;
  const before = program.source.slice(0, s);
  return { start: s, end, line: before.split('\n').length, col: s - (before.lastIndexOf('\n') + 1) + 1 };
}

function memberHover(program: Program, analysis: Analysis | undefined, m: Member, parent: Node | undefined, offset: number): Hover | undefined {
  const span = propertySpan(program, m);
  if (offset < span.start) return undefined; // on the `.` or `?.`
  const called = parent?.kind === 'Call' && (parent as Call).callee === m;
  const obj = m.object;
  if (obj.kind === 'Identifier' && isBuiltinNamespace(obj.name) && !scopeAt(program, offset).some((v) => v.name === obj.name)) {
    const f = builtinMember(obj.name, m.property);
    return f ? { span, code: `function ${obj.name}.${f.signature}` } : undefined;
  }
  const objType = analysis?.typeOf(obj.id);
  if (called && objType && objType !== 'any') {
    // Functions are never values, so a call on a member is a string or array method.
    const inString = builtinMember('string', m.property);
    const inArray = builtinMember('array', m.property);
    const receiver = inString && inArray ? (/\[\]|^\[/.test(objType) ? 'array' : 'string') : inString ? 'string' : inArray ? 'array' : undefined;
    const f = receiver === 'string' ? inString : receiver === 'array' ? inArray : undefined;
    if (f) return { span, code: `(method) ${receiver}.${f.signature}` };
  }
  const t = analysis?.typeOf(m.id);
  return t ? { span, code: `(property) ${m.property}: ${t}` } : undefined;
}

