// Quick slice of the editor fuzz target (fuzz/targets/editor.ts); `npm run fuzz` runs it long.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkEditor, editorInputs } from '../../fuzz/targets/editor.ts';

describe('editor fuzz (quick slice)', () => {
  it('answers completion, hover, definition and scopes at any offset of any text, never an exception', () => {
    const seen = new Set<string>();
    fc.assert(fc.property(editorInputs, (i) => void seen.add(checkEditor(i))), { numRuns: 120 });
    // The slice reached texts that parse, that only parse with lines blanked, and that do not parse.
    expect(seen).toEqual(new Set(['parsed', 'recovered', 'broken']));
  });
});
