/**
 * Completion: what may be typed at an offset — variables in scope, tasks, helpers, built-ins and
 * keywords; after a `.`, the fields and methods of the value's type (or a namespace's functions);
 * in a type, the type aliases and primitive types.
 *
 * Takes an `EditorDocument` (document.ts), an offset and optionally the last document that parsed;
 * gives the items, the offset where the word being typed starts, and how the answer was found.
 *
 *   completeAt(openDocument('task charge(id: string): { ok: boolean, code: string }\nworkflow w() {\n  const r = await charge("x")\n  r.\n}'), 79)
 *   // => { from: 79, how: 'parse', items: [{ label: 'code', kind: 'property' }, { label: 'ok', kind: 'property' }] }
 *
 * How, in order (the text being typed rarely parses: `r.` is a syntax error):
 *   0. `document`: when the text parses and a name is being typed there, the document's program.
 *   1. `parse`: the text with a placeholder name where the word is (`r.__currant_complete__`),
 *      then also with the rest of the line cut and its brackets closed (`if (r.__…__)`), then both
 *      with other broken lines blanked (document.ts); the placeholder's node says what is expected.
 *   2. `document`: the document's own program (its broken lines blanked), at the same offset.
 *   3. `lastGood`: the last version that parsed, at the same line and column; after a `.`, the node
 *      there whose text is the same name chain (`order.lines`).
 *   4. `text`: declared names found in the text, the built-ins and the keywords.
 * Nothing is offered inside comments and strings.
 */
import type { Expression, Node, Program } from '../ast.ts';
import { analyze, signatureText, WORKFLOWS, type Analysis } from '../checker/index.ts';
import { parse } from '../parser.ts';
import { builtinGlobals, builtinMember, builtinNamespaces, isBuiltinNamespace, namespaceMembers } from './builtins.ts';
import { MAX_RECOVERY_LENGTH, recoverProgram, type EditorDocument } from './document.ts';
import { declarationText } from './hover.ts';
import { childNodes, declarations, nodePathAt, scopeAt, type Binding } from './lookup.ts';

export interface Completion {
  label: string;
  kind: 'variable' | 'parameter' | 'task' | 'function' | 'builtin' | 'namespace' | 'property' | 'method' | 'keyword' | 'type';
  /** A type or a signature. */
  detail?: string;
}

export interface CompletionResult {
  items: Completion[];
  /** Where the word being completed starts (the items replace `from`..offset). */
  from: number;
  how: 'parse' | 'document' | 'lastGood' | 'text' | 'none';
}

/** The name put where the word is being typed; no program uses it. */
export const PLACEHOLDER = '__currant_complete__';

export const KEYWORDS = [
  'const', 'let', 'if', 'else', 'while', 'for', 'of', 'break', 'continue', 'return', 'await', 'try', 'catch',
  'finally', 'throw', 'new', 'typeof', 'in', 'with', 'true', 'false', 'null', 'task', 'workflow', 'type', 'function',
  'switch', 'case', 'default', 'as', 'satisfies', 'interface',
] as const;

const PRIMITIVE_TYPES = ['string', 'number', 'boolean', 'null', 'any', 'void', 'Array'];

const IDENT_PART = /[\p{L}\p{N}_$]/u;

/** Where the identifier that ends at `offset` starts. */
export function wordStart(source: string, offset: number): number {
  let s = offset;
  while (s > 0 && IDENT_PART.test(source[s - 1]!)) s--;
  return s;
}

/**
 * Whether `offset` is inside a comment or a string (a template's `${…}` counts as code). A small
 * scanner from the start of the text: it knows comments, quotes, escapes and template nesting.
 */
export function inCommentOrString(source: string, offset: number): boolean {
  type Mode = 'code' | 'line' | 'block' | '"' | "'" | '`';
  let mode: Mode = 'code';
  const braces: number[] = []; // brace depth at each open `${`
  let depth = 0;
  for (let i = 0; i < offset && i < source.length; i++) {
    const c = source[i]!;
    switch (mode) {
      case 'code':
        if (c === '/' && source[i + 1] === '/') (mode = 'line'), i++;
        else if (c === '/' && source[i + 1] === '*') (mode = 'block'), i++;
        else if (c === '"' || c === "'" || c === '`') mode = c;
        else if (c === '{') depth++;
        else if (c === '}') {
          if (braces.length > 0 && braces[braces.length - 1] === depth) (braces.pop(), (mode = '`'));
          else depth--;
        }
        break;
      case 'line':
        if (c === '\n') mode = 'code';
        break;
      case 'block':
        if (c === '*' && source[i + 1] === '/') (mode = 'code'), i++;
        break;
      case '"':
      case "'":
        if (c === '\\') i++;
        else if (c === mode || c === '\n') mode = 'code';
        break;
      case '`':
        if (c === '\\') i++;
        else if (c === '`') mode = 'code';
        else if (c === '$' && source[i + 1] === '{') (braces.push(depth), (mode = 'code'), i++);
        break;
    }
  }
  return mode !== 'code';
}

/** `(` and `[` opened on the line before `from` and not closed there, closed in reverse order. */
function closers(lineBefore: string): string {
  const stack: string[] = [];
  for (const c of lineBefore) {
    if (c === '(' || c === '[') stack.push(c === '(' ? ')' : ']');
    else if ((c === ')' || c === ']') && stack.length > 0) stack.pop();
  }
  return stack.reverse().join('');
}

/** What may be typed at `offset` of `doc`. Never throws. */
export function completeAt(doc: EditorDocument, offset: number, lastGood?: EditorDocument): CompletionResult {
  const source = doc.source;
  offset = Math.max(0, Math.min(offset, source.length));
  const from = wordStart(source, offset);
  if (inCommentOrString(source, from)) return { items: [], from, how: 'none' };
  try {
    // `workflows.|`: the deployment's workflows, as child starts (unless a variable hides the name)
    if (doc.workflows && chainBeforeDot(source, from) === WORKFLOWS && !(doc.program && scopeAt(doc.program, from).some((b) => b.name === WORKFLOWS))) {
      return { items: dedupe([...doc.workflows].map(([name, sig]) => ({ label: name, kind: 'function' as const, detail: signatureText(sig) }))), from, how: 'document' };
    }
    // The text parses and a name is being typed (`const x = pay|`): its own program answers.
    if (doc.program && !doc.partial && from < offset) {
      const own = atName(doc.program, doc.analysis, from, (name, start) => start === from && name.length >= offset - from);
      if (own) return { items: dedupe(own), from, how: 'document' };
    }
    const parsed = fromPatchedText(doc, from, offset);
    if (parsed) return { items: dedupe(parsed), from, how: 'parse' };
    const dot = chainBeforeDot(source, from);
    if (doc.program && dot === undefined) return { items: dedupe(expressionItems(doc.program, doc.analysis, from)), from, how: 'document' };
    const good = lastGood?.program && !lastGood.partial ? lastGood : undefined;
    if (good?.program) {
      const at = sameLineCol(source, good.source, from);
      const items = dot === undefined ? expressionItems(good.program, good.analysis, at) : chainItems(good.program, good.analysis, dot, at);
      if (items.length > 0) return { items: dedupe(items), from, how: 'lastGood' };
    }
    if (dot !== undefined) return { items: dedupe(isBuiltinNamespace(dot) ? namespaceItems(dot) : []), from, how: 'text' };
    return { items: dedupe(textItems(source)), from, how: 'text' };
  } catch {
    return { items: dedupe(textItems(source)), from, how: 'text' };
  }
}

/** Step 1 (see the header): the placeholder in the text, then with the line closed, then with other broken lines blanked. */
function fromPatchedText(doc: EditorDocument, from: number, offset: number): Completion[] | undefined {
  const source = doc.source;
  const lineStart = source.lastIndexOf('\n', from - 1) + 1;
  let lineEnd = source.indexOf('\n', offset);
  if (lineEnd < 0) lineEnd = source.length;
  const line = source.slice(0, from).split('\n').length;
  const texts = [source.slice(0, from) + PLACEHOLDER + source.slice(offset)];
  const closed = source.slice(0, from) + PLACEHOLDER + closers(source.slice(lineStart, from)) + source.slice(lineEnd);
  if (closed !== texts[0]) texts.push(closed);
  const small = source.length <= MAX_RECOVERY_LENGTH;
  for (const recover of small ? [false, true] : [false]) {
    for (const text of texts) {
      const parsed = parse(text, doc.file);
      const program = parsed.program ?? (recover ? recoverProgram(text, doc.file, parsed.diagnostics, line) : undefined);
      if (!program) continue;
      return atPlaceholder(program, analyze(program), from);
    }
  }
  return undefined;
}

/**
 * The items the placeholder's position asks for. Once the patched text parses, its answer is final:
 * a placeholder that is not a name to look up (a new variable, an object key, a declaration's name)
 * gets nothing.
 */
function atPlaceholder(program: Program, analysis: Analysis, from: number): Completion[] {
  return atName(program, analysis, from, (name) => name.startsWith(PLACEHOLDER)) ?? [];
}

/**
 * The items for the name that starts at `from` in `program` and passes `isIt`; undefined when no
 * such name is there (an Identifier, a property after `.`, a type reference or a new binding).
 */
function atName(program: Program, analysis: Analysis | undefined, from: number, isIt: (name: string, start: number) => boolean): Completion[] | undefined {
  const path = nodePathAt(program, from);
  const node = path[path.length - 1]!;
  if (node.kind === 'Identifier' && isIt(node.name, node.span.start)) return expressionItems(program, analysis, from);
  if (node.kind === 'Member' && isIt(node.property, node.span.end - node.property.length)) return memberItems(program, analysis, node.object, from);
  if (node.kind === 'TypeRef' && isIt(node.name, node.span.start)) return typeItems(program);
  if (node.kind === 'IdentifierPattern' && isIt(node.name, node.span.start)) return [];
  return undefined;
}

function bindingItem(program: Program, analysis: Analysis | undefined, b: Binding): Completion {
  let detail = b.nodeId !== undefined ? analysis?.typeOf(b.nodeId) : undefined;
  if (!detail && b.kind === 'param' && b.nodeId === undefined) {
    const p = program.workflow.params.find((x) => x.span.start === b.declaration.start);
    if (p?.type) detail = program.source.slice(p.type.span.start, p.type.span.end).replace(/\s+/g, ' ');
  }
  return detail ? { label: b.name, kind: b.kind === 'param' ? 'parameter' : 'variable', detail } : { label: b.name, kind: b.kind === 'param' ? 'parameter' : 'variable' };
}

/** Names that may start an expression at `at`: variables, tasks, helpers, built-ins, keywords. */
function expressionItems(program: Program, analysis: Analysis | undefined, at: number): Completion[] {
  const path = nodePathAt(program, at);
  const inFunction = path.some((n) => n.kind === 'FunctionDecl' || n.kind === 'ArrowFunction');
  const ownHelper = path.find((n) => n.kind === 'FunctionDecl');
  const items: Completion[] = scopeAt(program, at, { declaredBefore: true })
    .filter((b) => !b.name.startsWith(PLACEHOLDER))
    .map((b) => bindingItem(program, analysis, b));
  for (const d of declarations(program)) {
    // Helpers and callbacks cannot call tasks (CT051), nor a helper itself (CT053).
    if (d.kind === 'task' && !inFunction) items.push({ label: d.name, kind: 'task', detail: declarationText(program, d) });
    if (d.kind === 'function' && !(ownHelper?.kind === 'FunctionDecl' && ownHelper.name === d.name)) items.push({ label: d.name, kind: 'function', detail: declarationText(program, d) });
  }
  for (const g of builtinGlobals()) if (!(inFunction && g.handle)) items.push({ label: g.name, kind: 'builtin', detail: g.signature });
  for (const ns of builtinNamespaces()) items.push({ label: ns, kind: 'namespace' });
  for (const k of KEYWORDS) items.push({ label: k, kind: 'keyword' });
  return items;
}

function namespaceItems(ns: string): Completion[] {
  return namespaceMembers(ns).map((f) => ({ label: f.name, kind: 'method' as const, detail: `${ns}.${f.signature}` }));
}

/** What may follow `object.`: a namespace's functions, the fields of the object's type, string or array methods. */
function memberItems(program: Program, analysis: Analysis | undefined, object: Expression, at: number): Completion[] {
  if (object.kind === 'Identifier' && isBuiltinNamespace(object.name) && !scopeAt(program, at).some((b) => b.name === object.name)) return namespaceItems(object.name);
  return propertyItems(analysis, object.id);
}

function propertyItems(analysis: Analysis | undefined, id: number): Completion[] {
  const names = analysis?.propertiesOf(id);
  if (!names) return [];
  const type = analysis?.typeOf(id) ?? '';
  // Which built-in tables the type's members may come from (propertiesOf merges fields and methods).
  const receivers: ('string' | 'array')[] = [];
  if (/\[/.test(type)) receivers.push('array');
  if (/\bstring\b|"/.test(type)) receivers.push('string');
  const fields = new Map((analysis?.fieldsOf(id) ?? []).map((f) => [f.name, f]));
  return names.map((name): Completion => {
    const f = fields.get(name);
    if (f) return { label: name, kind: 'property', detail: f.optional ? `${f.type} (optional)` : f.type };
    for (const r of receivers) {
      const m = builtinMember(r, name);
      if (m) return m.property ? { label: name, kind: 'property', detail: m.signature.slice(name.length + 2) } : { label: name, kind: 'method', detail: m.signature };
    }
    return { label: name, kind: 'property' };
  });
}

function typeItems(program: Program): Completion[] {
  return [
    ...program.types.map((t) => ({ label: t.name, kind: 'type' as const, detail: declarationText(program, declarations(program).find((d) => d.kind === 'type' && d.name === t.name)!) })),
    ...PRIMITIVE_TYPES.map((t) => ({ label: t, kind: 'keyword' as const })),
  ];
}

const CHAIN = /([\p{L}_$][\p{L}\p{N}_$]*(?:\s*\??\.\s*[\p{L}_$][\p{L}\p{N}_$]*)*)\s*\??\.\s*$/u;

/** The name chain before a `.` that ends right before `from` (`order.lines` for `order.lines.`), else undefined. */
function chainBeforeDot(source: string, from: number): string | undefined {
  const before = source.slice(Math.max(0, from - 256), from);
  if (/\.\.\.\s*$/.test(before)) return undefined; // spread
  const m = CHAIN.exec(before);
  return m ? m[1]!.replace(/\s|\?/g, '') : undefined;
}

/** After `chain.` in an older version of the text: the node there with the same text, nearest to `at`. */
function chainItems(program: Program, analysis: Analysis | undefined, chain: string, at: number): Completion[] {
  const head = chain.split('.')[0]!;
  if (chain === head && isBuiltinNamespace(head) && !scopeAt(program, at).some((b) => b.name === head)) return namespaceItems(head);
  let best: Node | undefined;
  const stack: Node[] = [program];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if ((n.kind === 'Identifier' || n.kind === 'Member' || (n.kind === 'IdentifierPattern' && chain === head)) && chainText(n) === chain) {
      if (!best || Math.abs(n.span.start - at) < Math.abs(best.span.start - at)) best = n;
    }
    stack.push(...childNodes(n));
  }
  return best ? propertyItems(analysis, best.id) : [];
}

function chainText(n: Node): string | undefined {
  if (n.kind === 'Identifier' || n.kind === 'IdentifierPattern') return n.name;
  if (n.kind === 'Member') {
    const o = chainText(n.object);
    return o === undefined ? undefined : `${o}.${n.property}`;
  }
  return undefined;
}

/** The offset in `other` at the line and column of `offset` in `source` (clamped to the line). */
function sameLineCol(source: string, other: string, offset: number): number {
  const before = source.slice(0, offset);
  const line = before.split('\n').length;
  const col = offset - (before.lastIndexOf('\n') + 1);
  let start = 0;
  for (let l = 1; l < line; l++) {
    const nl = other.indexOf('\n', start);
    if (nl < 0) return other.length;
    start = nl + 1;
  }
  let end = other.indexOf('\n', start);
  if (end < 0) end = other.length;
  return Math.min(start + col, end);
}

/** Step 4: names declared in the text, found by pattern, with the built-ins and keywords. */
function textItems(source: string): Completion[] {
  const items: Completion[] = [];
  const text = source.length > MAX_RECOVERY_LENGTH * 4 ? source.slice(0, MAX_RECOVERY_LENGTH * 4) : source;
  for (const m of text.matchAll(/\btask\s+([\p{L}_$][\p{L}\p{N}_$]*)/gu)) items.push({ label: m[1]!, kind: 'task' });
  for (const m of text.matchAll(/\bfunction\s+([\p{L}_$][\p{L}\p{N}_$]*)/gu)) items.push({ label: m[1]!, kind: 'function' });
  for (const m of text.matchAll(/\b(?:const|let)\s+([\p{L}_$][\p{L}\p{N}_$]*)/gu)) items.push({ label: m[1]!, kind: 'variable' });
  for (const g of builtinGlobals()) items.push({ label: g.name, kind: 'builtin', detail: g.signature });
  for (const ns of builtinNamespaces()) items.push({ label: ns, kind: 'namespace' });
  for (const k of KEYWORDS) items.push({ label: k, kind: 'keyword' });
  return items;
}

function dedupe(items: Completion[]): Completion[] {
  const seen = new Set<string>();
  return items.filter((i) => !seen.has(i.label) && (seen.add(i.label), true));
}

