/** `analyze(program).fieldsOf(id)`: the fields of a node's object types with their types, for completion details. */
import { describe, expect, it } from 'vitest';
import { analyze } from '../../../dsl/checker/index.ts';
import { parse } from '../../../dsl/parser.ts';
import { nodeAt } from '../../../dsl/editor/lookup.ts';

describe('fieldsOf', () => {
  const src = `type A = { kind: "a", x: number, note?: string }
type B = { kind: "b", x: string }
workflow w(v: A | B, n: any, s: string): any {
  return [v, n, s]
}`;
  const program = parse(src, 'f.workflow').program!;
  const a = analyze(program);
  const idOf = (name: string) => nodeAt(program, src.lastIndexOf(`${name},`) + 0).id;

  it('gives each field once, the union of its types over the members, optional when any member may lack it', () => {
    expect(a.fieldsOf(idOf('v'))).toEqual([
      { name: 'kind', type: '"a" | "b"', optional: false },
      { name: 'note', type: 'string', optional: true },
      { name: 'x', type: 'number | string', optional: false },
    ]);
  });

  it('is undefined for an unknown type and empty for one without fields', () => {
    expect(a.fieldsOf(idOf('n'))).toBeUndefined();
    expect(a.fieldsOf(nodeAt(program, src.lastIndexOf('s]')).id)).toEqual([]);
  });
});
