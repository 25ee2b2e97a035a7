/**
 * Lexical scopes for the checker: which names are declared, which are declared later in the same
 * block (so a use before the declaration is CT002, not CT001), and how each was declared.
 *
 *   const s = new Scope(undefined, ['a']);   // a block that declares `a` somewhere
 *   s.lookup('a')          // => { state: 'later' }   (used before `const a = …`)
 *   s.declare({ name: 'a', kind: 'const', type: NUMBER, span })
 *   s.lookup('a')          // => { state: 'declared', binding }
 *
 * Why "later" names: JavaScript's temporal dead zone makes `{ x; let x = 1 }` an error even when an
 * outer `x` exists; reporting it as use-before-declaration matches what users know from TypeScript.
 */
import type { Span } from '../ast.ts';
import type { Type } from './types.ts';

export interface Binding {
  name: string;
  kind: 'const' | 'let' | 'param';
  type: Type;
  span: Span;
  /** Unique in one check, set by `declare`: what narrowing facts are keyed by (narrowing.ts). */
  uid?: number;
}

let nextUid = 1;

export type Lookup = { state: 'declared'; binding: Binding } | { state: 'later' } | { state: 'missing' };

export class Scope {
  private readonly vars = new Map<string, Binding>();
  private readonly later: Set<string>;

  constructor(
    readonly parent: Scope | undefined,
    laterNames: Iterable<string> = [],
    /** The outermost scope of a callback or helper: names found beyond it are not its own to assign. */
    readonly boundary = false,
  ) {
    this.later = new Set(laterNames);
  }

  /** The binding already in this very scope, if any (redeclaration check). */
  own(name: string): Binding | undefined {
    return this.vars.get(name);
  }

  declare(b: Binding): void {
    b.uid = nextUid++;
    this.vars.set(b.name, b);
    this.later.delete(b.name);
  }

  /** Adds names that the scope will declare further down (its block's own declarations). */
  expect(names: Iterable<string>): void {
    for (const n of names) if (!this.vars.has(n)) this.later.add(n);
  }

  lookup(name: string): Lookup {
    for (let s: Scope | undefined = this; s; s = s.parent) {
      const b = s.vars.get(name);
      if (b) return { state: 'declared', binding: b };
      if (s.later.has(name)) return { state: 'later' };
    }
    return { state: 'missing' };
  }

  /** True when `name` is declared outside the innermost function boundary (a callback's outer variable). */
  outside(name: string): boolean {
    for (let s: Scope | undefined = this; s; s = s.parent) {
      if (s.vars.has(name)) return false;
      if (s.boundary) return s.parent !== undefined && s.parent.lookup(name).state === 'declared';
    }
    return false;
  }

  /** Every name visible from here (for "did you mean"). */
  visible(): string[] {
    const out = new Set<string>();
    for (let s: Scope | undefined = this; s; s = s.parent) for (const k of s.vars.keys()) out.add(k);
    return [...out];
  }
}
