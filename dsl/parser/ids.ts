/**
 * Node ids: every node numbered in pre-order, children in source order, so ids are a pure function
 * of the text; finds the first node nested deeper than MAX_NESTING (CS006).
 */
import type * as A from '../ast.ts';
import { MAX_NESTING } from './limits.ts';

function isNode(v: unknown): v is A.Node {
  return typeof v === 'object' && v !== null && 'kind' in v && 'id' in v;
}

/** The nodes directly below `value`, looking through arrays and plain objects (params, members). */
function childNodes(value: unknown, out: A.Node[]): void {
  if (Array.isArray(value)) {
    for (const v of value) childNodes(v, out);
  } else if (typeof value === 'object' && value !== null) {
    if (isNode(value)) {
      out.push(value);
      return;
    }
    for (const [k, v] of Object.entries(value)) if (k !== 'span') childNodes(v, out);
  }
}

/**
 * Numbers every node in pre-order with children sorted by their start offset; returns the count,
 * and the first node (in pre-order) deeper than `MAX_NESTING`, if any.
 */
export function numberNodes(root: A.Node): { count: number; tooDeep?: A.Node } {
  let next = 0;
  let tooDeep: A.Node | undefined;
  // An explicit stack, not recursion: deep nesting must not overflow here.
  const stack: A.Node[] = [root];
  const depths: number[] = [1];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const depth = depths.pop()!;
    if (depth > MAX_NESTING && !tooDeep) tooDeep = node;
    node.id = next++;
    const kids: A.Node[] = [];
    for (const [k, v] of Object.entries(node)) if (k !== 'span' && k !== 'source') childNodes(v, kids);
    kids.sort((a, b) => a.span.start - b.span.start);
    for (let i = kids.length - 1; i >= 0; i--) {
      stack.push(kids[i]!);
      depths.push(depth + 1);
    }
  }
  return { count: next, tooDeep };
}
