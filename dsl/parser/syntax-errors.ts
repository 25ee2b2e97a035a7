/**
 * Syntax error messages: a failed ohm match as one CS001 diagnostic ("expected …", with families of
 * tokens named) or, where it explains better, an unterminated string/template/comment or an invalid
 * number (CS004).
 */
import * as ohm from 'ohm-js';
import { diagnostic, type Diagnostic } from '../diagnostics.ts';
import { MESSAGES } from './messages.ts';
import { span } from './context.ts';

interface OhmFailure {
  getText(): string;
  type: 'description' | 'string' | 'code';
  isFluffy(): boolean;
}

const NEWLINES = new Set(['\n', '\r', '\u2028', '\u2029', '\r\n']);

/** Tokens that can start an expression (when several are expected, say "an expression"). */
const EXPRESSION_STARTS = new Set([
  'an identifier', 'a number', 'a string', '"`"', '"("', '"["', '"{"', '"!"', '"-"', '"+"',
  '"typeof"', '"await"', '"true"', '"false"', '"null"',
]);

/** Tokens that can start a type. */
const TYPE_STARTS = new Set([
  'an identifier', 'a number', 'a string', '"("', '"{"', '"-"', '"|"', '"true"', '"false"', '"Array"',
  '"string"', '"number"', '"boolean"', '"null"', '"any"', '"void"', '"unknown"', '"undefined"', '"object"', '"["', '"typeof"',
  '"readonly"', '"keyof"', '"unique"', '"infer"', '"never"', '"bigint"', '"symbol"', '"<"', '"`"', '"&"',
]);

/** Tokens that can start a statement (beyond the expression starts). */
const STATEMENT_STARTS = new Set([
  '"const"', '"let"', '"if"', '"while"', '"for"', '"return"', '"break"', '"continue"', '"++"', '"--"', '";"', '"type"',
  ...EXPRESSION_STARTS,
]);

/** Tokens that can continue an expression after an operand. */
const OPERATORS = new Set([
  '"("', '"["', '"."', '"?."', '"?"', '"??"', '"||"', '"&&"', '"==="', '"!=="', '"=="', '"!="', '"<="', '">="',
  '"<"', '">"', '"+"', '"-"', '"*"', '"/"', '"%"', '"with"', '"="', '"+="', '"-="', '"*="', '"/="', '"++"', '"--"',
  '"**"', '"as"', '"satisfies"', '"!"', '"**="', '"%="', '"??="', '"||="', '"&&="',
]);

/** Alternatives that exist only to be rejected: never suggest them. */
const REJECT_ONLY = new Set([
  '"export"', '"import"', '"function"', '"async"', '"class"', '"throw"', '"try"', '"switch"', '"do"', '"var"',
  '"new"', '"this"', '"delete"', '"void"', '"instanceof"', '"in"', '"=>"', '"..."',
  '"<<="', '">>>="', '">>="', '"&="', '"|="', '"^="', '"catch"', '"finally"', '"extends"',
  '"~"', '"^"', '"|"', '"&"', '"<<"', '">>"', '">>>"', '"`"', '"enum"', '"declare"', '"namespace"', '"module"',
  '"abstract"', '"@"', '"debugger"', '"keyof"', '"unique"', '"infer"', '"never"', '"bigint"', '"symbol"',
  '"interface"', '"/"', '"<"', '"readonly"', '"case"', '"default"',
]);

/**
 * ohm's rightmost failures as a short list: spaces and negative lookaheads dropped, reject-only
 * alternatives hidden, and families of tokens named ("an expression", "a type", "an operator").
 */
function expectedList(failures: OhmFailure[]): string[] {
  const seen = new Set<string>();
  for (const f of failures) {
    const text = f.getText();
    if (f.type === 'description' && text === 'a space') continue;
    if (f.type === 'string' && (text === ' ' || text === '\t')) continue; // the spaces before `as`
    if (text.startsWith('not ')) continue; // negative lookaheads (keyword guards) say nothing useful
    if (f.type === 'string' && NEWLINES.has(text)) seen.add('a new line');
    else seen.add(f.type === 'string' ? JSON.stringify(text) : text);
  }
  let items = [...seen];
  if (items.length > 1) items = items.filter((t) => t !== 'end of input');
  const wanted = items.filter((t) => !REJECT_ONLY.has(t) || (t === '"void"' && items.includes('"any"')));
  if (wanted.length > 0) items = wanted;
  // Between declarations a stray `;` is allowed but not worth suggesting.
  if (items.includes('"workflow"')) items = items.filter((t) => t !== '";"' && t !== '"const"' && t !== '"let"');
  // Where a statement may end, `:` is only the label form (`name: for …`): not worth suggesting.
  if (items.includes('";"')) items = items.filter((t) => t !== '":"');
  const has = (t: string) => items.includes(t);
  const out: string[] = [];
  const used = new Set<string>();
  const group = (name: string, members: Set<string>) => {
    out.push(name);
    for (const t of items) if (members.has(t)) used.add(t);
  };
  const expression = has('an identifier') && has('a number') && (has('"!"') || has('"await"'));
  if (has('"if"') && has('"const"')) group('a statement', STATEMENT_STARTS);
  else if (has('"any"') && has('"boolean"')) {
    // a type where an expression may stand too is `a < b` tried as `f<T>(…)`: the expression is meant
    if (expression) {
      group('an expression', EXPRESSION_STARTS);
      for (const t of items) if (TYPE_STARTS.has(t)) used.add(t);
    } else group('a type', TYPE_STARTS);
  } else if (has('an identifier') && has('a number')) group('an expression', EXPRESSION_STARTS);
  // Operators count only when some of them could not start the expected statement or expression.
  if (items.filter((t) => OPERATORS.has(t) && !EXPRESSION_STARTS.has(t) && !used.has(t)).length >= 2) group('an operator', OPERATORS);
  for (const t of items) if (!used.has(t)) out.push(t);
  // "a new line" reads best last.
  const nl = out.indexOf('a new line');
  if (nl >= 0) out.push(...out.splice(nl, 1));
  return out;
}

function joinOr(items: string[]): string {
  if (items.length <= 1) return items[0] ?? 'something else';
  return `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

/** An unterminated string or template at `pos` explains a failure better than the expected-list. */
function unterminatedAt(source: string, pos: number): string | undefined {
  const q = source[pos];
  if (q === '"' || q === "'") {
    for (let i = pos + 1; i < source.length; i++) {
      const c = source[i]!;
      if (c === '\\') i++;
      else if (c === q) return undefined;
      else if (c === '\n' || c === '\r') break;
    }
    return 'unterminated string: close it with ' + q + ' on the same line';
  }
  if (q === '`' && source.indexOf('`', pos + 1) < 0) return MESSAGES.unterminatedTemplate;
  if (source.startsWith('/*', pos) && source.indexOf('*/', pos + 2) < 0) return 'unterminated comment: close it with */';
  return undefined;
}

const NUMBER_TOKEN = /^(?:\d|\.\d)[\w$.]*(?:(?<=[eE])[+-][\w$]*)?/;

const VALID_NUMBER = /^(?:0[xX][0-9a-fA-F]+(?:_[0-9a-fA-F]+)*|\d+(?:_\d+)*(?:\.(?:\d+(?:_\d+)*)?)?(?:[eE][+-]?\d+(?:_\d+)*)?|\.\d+(?:_\d+)*(?:[eE][+-]?\d+(?:_\d+)*)?)$/;

/** A malformed number where a number may stand (`0x`, `1__0`, `1e`, `3px`): its text, else undefined. */
function badNumberAt(source: string, pos: number, expected: string[]): string | undefined {
  if (!expected.includes('a number') && !expected.includes('an expression') && !expected.includes('a type')) return undefined;
  const token = NUMBER_TOKEN.exec(source.slice(pos, pos + 100))?.[0];
  return token && !VALID_NUMBER.test(token) ? token : undefined;
}

/** The syntax error of a failed match of `source` (the text from `offset` of the whole source on). */
export function syntaxError(match: ohm.MatchResult, source: string, offset = 0): Diagnostic {
  const pos = (match as ohm.FailedMatchResult).getRightmostFailurePosition();
  const failures = (match as unknown as { getRightmostFailures(): OhmFailure[] }).getRightmostFailures();
  const end = Math.min(source.length, pos + Math.max(1, /^[\p{L}\p{N}_$]+/u.exec(source.slice(pos, pos + 64))?.[0].length ?? 1));
  // Inside a template ohm fails at the end of the input, wanting "`" or "${": point at the opening
  // backquote (the last one before the failure) instead.
  if (pos === source.length && failures.some((f) => f.getText() === '${')) {
    const open = Math.max(0, source.lastIndexOf('`', pos - 1));
    return diagnostic('CS001', span(offset + open, offset + open + 1), MESSAGES.unterminatedTemplate);
  }
  const expected = expectedList(failures);
  const bad = badNumberAt(source, pos, expected);
  if (bad) return diagnostic('CS004', span(offset + pos, offset + pos + bad.length), `invalid number: ${bad}`);
  const message = unterminatedAt(source, pos) ?? `expected ${joinOr(expected)}`;
  return diagnostic('CS001', span(offset + pos, offset + (pos < source.length ? end : pos)), message);
}
