/**
 * Fuzz target for the editor functions (dsl/editor/), what the language server runs on every
 * keystroke: the source target's texts (mutated corpus programs, token soup, deep and unclosed
 * constructs) at random offsets → openDocument, completeAt (with a last good document), hoverAt,
 * definitionAt and scopeAt.
 *
 * Takes nothing; gives a fast-check arbitrary and the check. The check throws only when a function
 * broke its contract: an exception escaped, a span outside the text, a completion starting after
 * the cursor — or an answer far slower than the text's size warrants (generous: 10 s plus 5 ms per
 * character for everything asked of one text, so only a real blow-up trips it).
 *
 *   fc.assert(fc.property(editorInputs, (i) => void checkEditor(i)));
 */
import fc from 'fast-check';
import { completeAt, definitionAt, hoverAt, openDocument, scopeAt, type EditorDocument } from '../../dsl/editor/index.ts';
import type { Span } from '../../dsl/index.ts';
import { corpusSources, sources } from './source.ts';

export const editorInputs = fc.record({
  source: sources,
  /** Fractions of the text's length: where the cursor is. */
  at: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 3 }),
  /** Which corpus program was the last version that parsed (none when negative). */
  lastGood: fc.integer({ min: -1, max: 1000 }),
});
export type EditorInput = typeof editorInputs extends fc.Arbitrary<infer T> ? T : never;

let goods: Map<number, EditorDocument> | undefined;
function lastGoodDocument(i: number): EditorDocument | undefined {
  if (i < 0) return undefined;
  goods ??= new Map();
  const all = corpusSources();
  const k = i % all.length;
  if (!goods.has(k)) goods.set(k, openDocument(all[k]!, 'good.workflow'));
  return goods.get(k);
}

/** Runs every editor function on one text; throws when one broke its contract. Gives what the document was. */
export function checkEditor(input: EditorInput): 'parsed' | 'recovered' | 'broken' {
  const { source } = input;
  const t0 = performance.now();
  const inside = (what: string, s: Span) => {
    if (!(Number.isInteger(s.start) && Number.isInteger(s.end) && 0 <= s.start && s.start <= s.end && s.end <= source.length)) {
      throw new Error(`${what}: span outside the text: ${JSON.stringify(s)} (${source.length} chars)`);
    }
  };
  const guard = <T>(what: string, f: () => T): T => {
    try {
      return f();
    } catch (e) {
      throw new Error(`${what} threw: ${(e as Error)?.stack ?? String(e)}`);
    }
  };
  const doc = guard('openDocument', () => openDocument(source, 'fuzz.workflow'));
  for (const d of doc.diagnostics) inside(`diagnostic ${d.code}`, d.span);
  if (doc.diagnostics.some((d) => d.code === 'CS007')) throw new Error(`internal error: ${doc.diagnostics.find((d) => d.code === 'CS007')!.message}`);
  const last = lastGoodDocument(input.lastGood);
  for (const f of input.at) {
    const offset = Math.floor(f * source.length);
    const r = guard('completeAt', () => completeAt(doc, offset, last));
    if (!(r.from <= offset && r.from >= 0)) throw new Error(`completion from ${r.from} after the cursor ${offset}`);
    if (r.items.some((i) => typeof i.label !== 'string' || i.label === '')) throw new Error('a completion without a label');
    if (!doc.program) continue;
    const h = guard('hoverAt', () => hoverAt(doc.program!, doc.analysis, offset));
    if (h) inside('hover', h.span);
    const def = guard('definitionAt', () => definitionAt(doc.program!, offset));
    if (def) {
      inside('definition', def.binding.span);
      inside('definition usage', def.usage);
    }
    guard('scopeAt', () => scopeAt(doc.program!, offset, { declaredBefore: true }));
  }
  const ms = performance.now() - t0;
  if (ms > 10_000 + 5 * source.length) throw new Error(`the editor functions took ${Math.round(ms)} ms on ${source.length} characters (a super-linear path)`);
  return doc.program ? (doc.partial ? 'recovered' : 'parsed') : 'broken';
}
