/**
 * Fuzz target for the parser and the checker: workflow sources that are almost right (corpus
 * programs with ranges deleted, duplicated, swapped or truncated, tokens inserted), token soup from
 * the language's own vocabulary (TypeScript's too), and deep or long runs of one construct (openers
 * left unclosed, chains, rejected constructs) → `compile()` and the diagnostic renderer.
 *
 * Recovery (parser.ts): at most MAX_SYNTAX_ERRORS syntax errors, each at a distinct position; and
 * `brokenLines`: corpus programs that compile, with whole one-line statements replaced by garbage,
 * must report a CS001 on each of those lines and none before the first (`checkRecovery`).
 *
 * Takes nothing; gives a fast-check arbitrary of sources and the check. The check throws only when
 * the compiler broke its contract: an exception escaped `compile()`, a CS007 (internal error), a
 * diagnostic without a known code or with a span outside the source, a program JSON cannot
 * serialise, a renderer that throws — or a compile far slower than its size warrants (a quadratic path:
 * the budget is generous, 5 s plus 1 ms per character, so only a real blow-up trips it).
 *
 *   fc.assert(fc.property(sources, (s) => void checkSource(s)));
 */
import fc from 'fast-check';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CODES, compile, MAX_SYNTAX_ERRORS, renderDiagnostics, type Node, type Statement } from '../../dsl/index.ts';
import { loadCases } from '../../test/dsl/corpus/run.ts';

const CORPUS = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'test', 'dsl', 'corpus');

/** Every corpus case's source, including the ones that are meant not to compile. */
let corpus: string[] | undefined;
export function corpusSources(): string[] {
  corpus ??= loadCases(CORPUS).map((c) => c.source);
  return corpus;
}

/** The language's tokens, and the TypeScript it refuses, so soups reach the rejection paths too. */
const TOKENS = [
  'workflow', 'task', 'type', 'const', 'let', 'var', 'if', 'else', 'for', 'of', 'in', 'while', 'do', 'break', 'continue', 'return',
  'await', 'Promise.all', 'Promise.allSettled', 'Promise.race', 'sleep', 'signal', 'typeof', 'null', 'true', 'false', 'undefined',
  'function', 'class', 'extends', 'new', 'this', 'try', 'catch', 'finally', 'throw', 'switch', 'case', 'default', 'import', 'export',
  'async', 'yield', 'with', 'void', 'delete', 'instanceof', 'as', 'satisfies', 'enum', 'interface', 'readonly', 'keyof', 'declare',
  'as const', 'Record<string, number>', 'readonly string[]', '[string, number]', 'signal<T>(', '<T>', 'x!', '!.', 'outer:', 'break outer',
  'continue outer', 'case 1:', 'default:', '[a, b] =', '({ a } =', '?.(', '**=', '??=', '||=', '&&=', '%=', '/re/g', 'Date.now()',
  '{', '}', '(', ')', '[', ']', ';', ',', '.', '...', '?.', '?', ':', '=>', '=', '==', '===', '!=', '!==', '<', '>', '<=', '>=',
  '+', '-', '*', '/', '%', '**', '++', '--', '+=', '-=', '&&', '||', '??', '!', '&', '|', '^', '~', '<<', '>>', '@', '#',
  'x', 'y', 'items', 'a', 'w', 'f', 'chargeCard', 'string', 'number', 'boolean', 'any', 'void', '__proto__', 'constructor',
  '0', '1', '1.5', '1e999', '0x', '0xff', '1_000', '"s"', "'s'", '"1s"', '"30d"', '"', "'", '`', '`a${x}b`', '${', '\\', '/* c */',
  '// c\n', '/*', '\n', '\r\n', ' ', '\t', '\u00a0', '\u2028', '🦀', '\u0000',
];

const token = fc.constantFrom(...TOKENS);
const soup = fc.array(token, { maxLength: 120 }).map((ts) => ts.join(' '));
const soupInWorkflow = soup.map((s) => `task t(x: any): any\nworkflow w(x: any, items: any[]): any {\n${s}\n}\n`);

/** One edit of a corpus source: where (0..1 of its length) and what. */
const edit = fc.record({
  kind: fc.constantFrom('delete', 'duplicate', 'swap', 'truncate', 'insert', 'char'),
  at: fc.double({ min: 0, max: 1, noNaN: true }),
  len: fc.nat({ max: 40 }),
  other: fc.double({ min: 0, max: 1, noNaN: true }),
  text: fc.oneof(token, fc.string({ maxLength: 3 })),
});
type Edit = typeof edit extends fc.Arbitrary<infer T> ? T : never;

function applyEdit(src: string, e: Edit): string {
  const i = Math.floor(e.at * src.length);
  const j = Math.min(src.length, i + e.len);
  switch (e.kind) {
    case 'delete':
      return src.slice(0, i) + src.slice(j);
    case 'duplicate':
      return src.slice(0, j) + src.slice(i, j) + src.slice(j);
    case 'swap': {
      const k = Math.floor(e.other * src.length);
      const [p, q] = i < k ? [i, k] : [k, i];
      const n = Math.min(e.len, q - p);
      return src.slice(0, p) + src.slice(q, q + n) + src.slice(p + n, q) + src.slice(p, p + n) + src.slice(q + n);
    }
    case 'truncate':
      return src.slice(0, i);
    case 'insert':
      return src.slice(0, i) + e.text + src.slice(i);
    default:
      return src.slice(0, i) + (e.text[0] ?? '') + src.slice(i + 1);
  }
}

const mutatedCorpus = fc.record({ seed: fc.nat(), edits: fc.array(edit, { minLength: 1, maxLength: 6 }) }).map(({ seed, edits }) => {
  const all = corpusSources();
  return edits.reduce(applyEdit, all[seed % all.length]!);
});

/** Long or deep runs of one construct: the shapes that found the quadratic and overflow paths. */
const UNITS = [
  'function f() { ', 'class A { ', 'switch (x) { ', 'if (x) { ', '{ ', '[', '(', 'f(', '`${', '"a ', '/* ', 'import { a, ', 'a + ', 'a < b > ',
  'f<', 'x.y', '[0]', '!', '-(', 'a ?? ', 'a ? b : ', '(a) => ', 'await ', '...', 'type T = { a: ', '{ a: ', 'x = ', 'function f() { } ',
  'a ** ', '-a ** ', 'x!', 'f<T>(', 'l: ', 'x as T as ', '[a, b] = ', 'case 1: ', 'a @ b\n', '@ ', 'if (a b) { ', 'interface I { a: ',
  'Record<string, ', 'readonly ', 'a & ', 'a ?', 'outer: for (;;) { ',
];
const runs = fc
  .record({ unit: fc.constantFrom(...UNITS), n: fc.integer({ min: 1, max: 3000 }), close: fc.boolean(), wrap: fc.boolean() })
  .map(({ unit, n, close, wrap }) => {
    const closer = [...unit].reverse().map((c) => ({ '{': '}', '(': ')', '[': ']', '<': '>' })[c] ?? '').join('');
    const body = unit.repeat(n) + (close ? closer.repeat(n) : '');
    return wrap ? `workflow w(x: any, a: any, b: any): any {\n  return ${body}\n}\n` : body;
  });

export const sources: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: mutatedCorpus },
  { weight: 2, arbitrary: soupInWorkflow },
  { weight: 1, arbitrary: soup },
  { weight: 1, arbitrary: runs },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
);

const KNOWN = new Set(Object.keys(CODES));

/** Compiles one source; throws when the compiler broke its contract. */
export function checkSource(source: string): 'compiled' | 'diagnostics' {
  return checked(source).outcome;
}

function checked(source: string): { outcome: 'compiled' | 'diagnostics'; diagnostics: ReturnType<typeof compile>['diagnostics'] } {
  const t0 = performance.now();
  let r: ReturnType<typeof compile>;
  try {
    r = compile(source, 'fuzz.workflow');
  } catch (e) {
    throw new Error(`compile() threw: ${(e as Error)?.stack ?? String(e)}`);
  }
  const ms = performance.now() - t0;
  if (ms > 5000 + source.length) throw new Error(`compile took ${Math.round(ms)} ms for ${source.length} characters (a super-linear path)`);
  for (const d of r.diagnostics) {
    if (d.code === 'CS007') throw new Error(`internal compiler error: ${d.message}`);
    if (!KNOWN.has(d.code)) throw new Error(`unknown diagnostic code ${String(d.code)}`);
    const { start, end, line, col } = d.span;
    if (!(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start <= end && end <= source.length)) throw new Error(`span outside the source: ${JSON.stringify(d.span)} (${source.length} chars)`);
    if (!(Number.isInteger(line) && Number.isInteger(col) && line >= 1 && col >= 1)) throw new Error(`no line:column: ${JSON.stringify(d.span)}`);
    if (typeof d.message !== 'string' || !d.message) throw new Error(`${d.code} without a message`);
  }
  try {
    renderDiagnostics(r.diagnostics, source, 'fuzz.workflow');
  } catch (e) {
    throw new Error(`renderDiagnostics threw: ${(e as Error)?.stack ?? String(e)}`);
  }
  const syntax = r.diagnostics.filter((d) => d.code === 'CS001');
  if (syntax.length > MAX_SYNTAX_ERRORS) throw new Error(`${syntax.length} syntax errors, over MAX_SYNTAX_ERRORS (${MAX_SYNTAX_ERRORS})`);
  const at = new Set<string>();
  for (const d of r.diagnostics) {
    const key = `${d.code}@${d.span.start}`;
    if (d.code.startsWith('CS') && at.has(key)) throw new Error(`${d.code} reported twice at offset ${d.span.start}`);
    at.add(key);
  }
  if (!r.program) {
    if (!r.diagnostics.some((d) => d.severity === 'error')) throw new Error('no program and no error');
    return { outcome: 'diagnostics', diagnostics: r.diagnostics };
  }
  // Programs are stored as JSON by the engines: no cycles, no BigInt, nothing JSON drops silently at the top.
  try {
    if (typeof JSON.stringify(r.program) !== 'string') throw new Error('not serialisable');
  } catch (e) {
    throw new Error(`the program is not plain JSON: ${String(e)}`);
  }
  return { outcome: 'compiled', diagnostics: r.diagnostics };
}

// ---------------------------------------------------------------------------------------------
// Recovery: independent broken statements are each found
// ---------------------------------------------------------------------------------------------

/** Corpus programs that compile, with the lines that hold exactly one whole one-line statement. */
let candidates: { source: string; lines: number[] }[] | undefined;
function recoveryCandidates(): { source: string; lines: number[] }[] {
  if (candidates) return candidates;
  candidates = [];
  for (const source of corpusSources()) {
    const r = compile(source, 'fuzz.workflow');
    if (!r.program) continue;
    const lineText = source.split('\n');
    const lines = new Set<number>();
    const visit = (n: unknown): void => {
      if (Array.isArray(n)) return n.forEach(visit);
      if (typeof n !== 'object' || n === null) return;
      const node = n as Node;
      if ('kind' in node && isStatement(node) && node.kind !== 'Block') {
        const text = lineText[node.span.line - 1] ?? '';
        const stmt = source.slice(node.span.start, node.span.end);
        if (!stmt.includes('\n') && text.trim().replace(/;$/, '') === stmt.trim()) lines.add(node.span.line);
      }
      for (const [k, v] of Object.entries(n)) if (k !== 'span' && k !== 'source') visit(v);
    };
    visit(r.program.workflow.body);
    if (lines.size >= 2) candidates.push({ source, lines: [...lines].sort((a, b) => a - b) });
  }
  return candidates;
}

const STATEMENT_KINDS = new Set(['VarDecl', 'Assign', 'Update', 'If', 'While', 'For', 'ForOf', 'Break', 'Continue', 'Return', 'ExprStmt', 'Try', 'Throw', 'Switch', 'Labeled']);
function isStatement(n: Node): n is Statement {
  return STATEMENT_KINDS.has(n.kind);
}

/** A corpus program with 1–4 of its one-line statements replaced by a line that cannot parse. */
export const brokenLines: fc.Arbitrary<{ source: string; broken: number[] }> = fc
  .record({ pick: fc.nat(), which: fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), junk: fc.constantFrom('@@ broken @@', 'x @ y', '@', 'const @ = 1', 'f(@)') })
  .map(({ pick, which, junk }) => {
    const all = recoveryCandidates();
    const c = all[pick % all.length]!;
    const broken = [...new Set(which.map((w) => c.lines[w % c.lines.length]!))].sort((a, b) => a - b);
    const lines = c.source.split('\n');
    for (const l of broken) lines[l - 1] = lines[l - 1]!.replace(/\S.*$/, junk);
    return { source: lines.join('\n'), broken };
  });

/** Throws unless each broken line has a syntax error of its own and none comes before the first. */
export function checkRecovery({ source, broken }: { source: string; broken: number[] }): void {
  const syntax = checked(source).diagnostics.filter((d) => d.code === 'CS001');
  for (const l of broken) {
    if (!syntax.some((d) => d.span.line === l)) throw new Error(`no syntax error on broken line ${l} (errors on lines ${syntax.map((d) => d.span.line).join(', ') || 'none'})`);
  }
  const before = syntax.filter((d) => d.span.line < broken[0]!);
  if (before.length > 0) throw new Error(`a syntax error before the first broken line ${broken[0]}: ${before[0]!.span.line}:${before[0]!.span.col} ${before[0]!.message}`);
}
