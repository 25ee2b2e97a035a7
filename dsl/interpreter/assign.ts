/**
 * Patterns and assignment targets: binding a declaration's pattern (`const [a, { b }, ...r] = v`),
 * storing to a variable, `o.p` or `xs[i]` (`=`, compound operators, `++`/`--`), destructuring
 * assignment (`[a, o.b] = v`), and the scope checks behind them (CT001 undeclared, CT052 a
 * callback's surroundings are read-only).
 *
 * Takes the machine as an `AssignHost` (Machine satisfies it; this file does not import
 * machine.ts); changes scopes and values in place. The value given is already owned (copied where
 * it had to be), so its parts are stored as they are.
 *
 *   bind(m, pattern, value, scope)
 *   assign(m, stmt, value)          // `x += 1`, `[a, b] = v`
 */
import { assertNever, type Assign, type AssignTarget, type Expression, type Pattern, type Span, type Update } from '../ast.ts';
import { BYTES } from './budget.ts';
import { PositionedError } from './errors.ts';
import { arith, bare, evaluate, reservedKey, type EvalHost } from './evaluate.ts';
import type { Scope } from './frames.ts';
import type { Value } from './types.ts';
import { getOwn, HANDLE_KEY, isObject, kindOf, setOwn, toText, type ValueObject } from './values.ts';

/** What assignment needs from the machine, beyond evaluation. */
export interface AssignHost extends EvalHost {
  /** Scopes below this index are read-only here (a callback's surroundings). */
  readonly writeFloor: number;
  /** Helpers and callbacks running inside each other right now (0: the workflow itself). */
  readonly depth: number;
}

/** What `store`'s update gives to leave the target as it is (a logical assignment that does not assign). */
export const KEEP: unique symbol = Symbol('keep');

function compoundOp(op: Assign['op']): '+' | '-' | '*' | '/' | '%' | '**' {
  return op === '+=' ? '+' : op === '-=' ? '-' : op === '*=' ? '*' : op === '%=' ? '%' : op === '**=' ? '**' : '/';
}

/** `{ a, b, ...rest }`: the fields of `value` the pattern does not name, as a new object. */
export function restOf(m: AssignHost, value: ValueObject, named: readonly { key: string }[]): ValueObject {
  const taken = new Set(named.map((x) => x.key));
  const keys = Object.keys(value);
  m.meter.alloc(BYTES.object(keys.length));
  const rest: ValueObject = {};
  for (const k of keys) if (!taken.has(k)) setOwn(rest, k, value[k]!);
  return rest;
}

/** Binds a pattern in `scope`; `value` is already owned (a copy nobody else holds). */
export function bind(m: AssignHost, p: Pattern, value: Value, scope: Scope): void {
  switch (p.kind) {
    case 'IdentifierPattern':
      setOwn(scope, p.name, value);
      return;
    case 'ArrayPattern': {
      if (!Array.isArray(value)) throw new PositionedError('CR011', `cannot destructure ${kindOf(value)} as an array`, p.span);
      const els = p.elements;
      for (let i = 0; i < els.length; i++) {
        const e = els[i];
        if (e) bind(m, e, i < value.length ? value[i]! : null, scope);
      }
      if (p.rest) {
        m.meter.array(Math.max(0, value.length - els.length));
        setOwn(scope, p.rest.name, value.slice(els.length));
      }
      return;
    }
    case 'ObjectPattern': {
      if (!isObject(value)) throw new PositionedError('CR011', `cannot destructure ${kindOf(value)} as an object`, p.span);
      for (const prop of p.properties) bind(m, prop.value, getOwn(value, prop.key), scope);
      if (p.rest) setOwn(scope, p.rest.name, restOf(m, value, p.properties));
      return;
    }
    default:
      assertNever(p, 'pattern');
  }
}

/**
 * The scope holding `name`, to assign it; CT001 when there is none and CT052 when it is a
 * callback's surroundings (both only reachable for unchecked programs).
 */
export function scopeHolding(m: AssignHost, name: string, node: { span: Span }): Scope {
  const scopes = m.scopes;
  for (let i = scopes.length - 1; i >= m.readFloor; i--) {
    const s = scopes[i]!;
    if (Object.hasOwn(s, name)) {
      if (i < m.writeFloor) throw new PositionedError('CT052', `a callback cannot change '${name}': it is declared outside it`, node.span);
      return s;
    }
  }
  throw new PositionedError('CT001', `undeclared variable '${name}'`, node.span);
}

/** In a callback, that the root variable of `target` (`o` of `o.a[i]`) is its own to change. */
export function writable(m: AssignHost, target: Expression): void {
  if (m.depth === 0) return;
  let e = bare(target);
  while (e.kind === 'Member' || e.kind === 'Index') e = bare(e.object);
  if (e.kind === 'Identifier') scopeHolding(m, e.name, e);
}

export function assign(m: AssignHost, s: Assign, value: Value): void {
  const t = s.target;
  if (t.kind === 'ArrayAssignPattern' || t.kind === 'ObjectAssignPattern') {
    destructure(m, t, value);
    return;
  }
  const plain = s.op === '=' || s.op === '??=' || s.op === '||=' || s.op === '&&=';
  if (t.kind === 'Identifier') {
    // the hot path (`s += i`): no closure
    const scope = scopeHolding(m, t.name, t);
    setOwn(scope, t.name, plain ? value : arith(m, compoundOp(s.op), scope[t.name]!, value, s));
    return;
  }
  if (plain) {
    store(m, t, () => value);
    return;
  }
  const op = compoundOp(s.op);
  store(m, t, (old) => arith(m, op, old, value, s));
}

/**
 * `[a, b] = v`, `({ a, b: o.c } = v)`: each target gets its element or field (null when missing)
 * and is stored like `target = …`; `value` is already owned, so its parts are stored as they are.
 */
export function destructure(m: AssignHost, p: AssignTarget, value: Value): void {
  switch (p.kind) {
    case 'ArrayAssignPattern': {
      if (!Array.isArray(value)) throw new PositionedError('CR011', `cannot destructure ${kindOf(value)} as an array`, p.span);
      const els = p.elements;
      for (let i = 0; i < els.length; i++) {
        const e = els[i];
        if (e) destructure(m, e, i < value.length ? value[i]! : null);
      }
      if (p.rest) {
        m.meter.array(Math.max(0, value.length - els.length));
        destructure(m, p.rest, value.slice(els.length));
      }
      return;
    }
    case 'ObjectAssignPattern': {
      if (!isObject(value)) throw new PositionedError('CR011', `cannot destructure ${kindOf(value)} as an object`, p.span);
      for (const prop of p.properties) destructure(m, prop.value, getOwn(value, prop.key));
      if (p.rest) destructure(m, p.rest, restOf(m, value, p.properties));
      return;
    }
    default:
      store(m, p, () => value);
  }
}

export function update(m: AssignHost, s: Update): void {
  const t = bare(s.target);
  if (t.kind === 'Identifier') {
    const scope = scopeHolding(m, t.name, t);
    const old = scope[t.name]!;
    if (typeof old !== 'number') throw new PositionedError('CR002', `${s.op} needs a number, got ${kindOf(old)}`, s.span);
    setOwn(scope, t.name, s.op === '++' ? old + 1 : old - 1);
    return;
  }
  store(m, t, (old) => {
    if (typeof old !== 'number') throw new PositionedError('CR002', `${s.op} needs a number, got ${kindOf(old)}`, s.span);
    const n = s.op === '++' ? old + 1 : old - 1;
    return n;
  });
}

/**
 * Writes `f(old)` to an assignable target: a variable, `o.p` or `xs[i]` / `o[k]` (the target's
 * object and key are evaluated once). `f` may give KEEP to write nothing.
 */
export function store(m: AssignHost, written: Expression, f: (old: Value) => Value | typeof KEEP): void {
  const t = bare(written);
  if (t.kind !== 'Identifier') writable(m, t);
  switch (t.kind) {
    case 'Identifier': {
      const scope = scopeHolding(m, t.name, t);
      const v = f(scope[t.name]!);
      if (v !== KEEP) setOwn(scope, t.name, v);
      return;
    }
    case 'Member': {
      const o = evaluate(m, t.object);
      if (o === null) throw new PositionedError('CR001', `cannot set property '${t.property}' of null`, t.span);
      if (!isObject(o)) throw new PositionedError('CR002', `cannot set property '${t.property}' of ${kindOf(o)}`, t.span);
      if (t.property === HANDLE_KEY) throw reservedKey(t.span);
      const v = f(getOwn(o, t.property));
      if (v !== KEEP) setOwn(o, t.property, v);
      return;
    }
    case 'Index': {
      const o = evaluate(m, t.object);
      const k = evaluate(m, t.index);
      if (o === null) throw new PositionedError('CR001', `cannot set an element of null`, t.span);
      if (Array.isArray(o)) {
        const inRange = typeof k === 'number' && Number.isInteger(k) && k >= 0 && k < o.length;
        const v = f(inRange ? o[k as number]! : null);
        if (v === KEEP) return;
        if (typeof k !== 'number' || !Number.isInteger(k) || k < 0 || k > o.length) {
          throw new PositionedError(
            'CR004',
            `cannot write index ${toText(k)} of an array of length ${o.length} (integers 0..length only)`,
            t.span,
          );
        }
        if (k === o.length) m.meter.array(k + 1, false);
        o[k] = v;
        return;
      }
      if (isObject(o)) {
        if (typeof k !== 'string' && typeof k !== 'number') {
          throw new PositionedError('CR002', `an object key must be a string or number, got ${kindOf(k)}`, t.index.span);
        }
        const key = String(k);
        if (key === HANDLE_KEY) throw reservedKey(t.span);
        const v = f(getOwn(o, key));
        if (v !== KEEP) setOwn(o, key, v);
        return;
      }
      throw new PositionedError('CR002', `cannot set an element of ${kindOf(o)}`, t.span);
    }
    default:
      throw new PositionedError('CT017', `cannot assign to a ${t.kind} expression`, t.span);
  }
}
