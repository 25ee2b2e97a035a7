/**
 * Handles in the checker: the `Promise<T>` type a task call, `sleep`, `signal` or `Promise.*` has
 * without `await`, and what cannot work with one — a handle dropped on the floor (CT030, warning),
 * used as a plain value: passed to a task, returned, read, computed with (CT031), `await` of a value
 * that is no handle (CT032, warning), the reserved key `$handle` (CT036).
 *
 *   awaitedValue(ctx, promiseOf(NUMBER), span)   // => number
 *   plainValue(ctx, t, span, 'passed to task charge')   // CT031 when t holds a handle
 */
import type { Expression, Span } from '../ast.ts';
import { HANDLE_KEY } from '../interpreter/values.ts';
import { report, show, type Ctx } from './context.ts';
import { ANY, union, type Type } from './types.ts';

export { HANDLE_KEY };

/** The value type a handle of type `t` gives when awaited; a member that is no handle is itself (TypeScript's `Awaited<T>`). */
export function unwrap(ctx: Ctx, t: Type): Type {
  const ms = ctx.env.members(t);
  if (!ms.some((m) => m.kind === 'promise')) return t;
  return union(ms.map((m) => (m.kind === 'promise' ? m.value : m)));
}

/** Is (some member of) `t` a handle? */
export function isHandle(ctx: Ctx, t: Type): boolean {
  return ctx.env.members(t).some((m) => m.kind === 'promise');
}

/** Does `t` hold a handle anywhere inside (an element, a field)? */
export function holdsHandle(ctx: Ctx, t: Type, depth = 0): boolean {
  if (depth > 8) return false;
  for (const m of ctx.env.members(t)) {
    if (m.kind === 'promise') return true;
    if (m.kind === 'array' && holdsHandle(ctx, m.element, depth + 1)) return true;
    if (m.kind === 'tuple' && m.elements.some((e) => holdsHandle(ctx, e, depth + 1))) return true;
    if (m.kind === 'object' && Object.values(m.fields).some((f) => holdsHandle(ctx, f.type, depth + 1))) return true;
  }
  return false;
}

/** `await e` of a value of type `t`: a handle's value; anything else is the value itself (CT032 when surely no handle). */
export function awaitedValue(ctx: Ctx, t: Type, span: Span): Type {
  const ms = ctx.env.members(t);
  if (ms.some((m) => m.kind === 'any')) return ANY;
  if (ms.some((m) => m.kind === 'promise')) return unwrap(ctx, t);
  const list = holdsHandle(ctx, t);
  report(ctx, 'CT032', span, `await of ${show(ctx, t)} gives the value itself: it is not a handle`, {
    severity: 'warning',
    hint: list ? 'to wait for every handle of a list, await Promise.all(list)' : 'await a task call, a handle kept in a variable, sleep, signal or Promise.all/race/…',
  });
  return t;
}

/** A handle where a plain value is needed (a task argument, the workflow's result, arithmetic): CT031. */
export function plainValue(ctx: Ctx, t: Type, span: Span, where: string): boolean {
  if (!holdsHandle(ctx, t)) return true;
  report(ctx, 'CT031', span, `a handle cannot be ${where}: it only means something inside this instance`, {
    hint: 'await it first: const v = await h (or await Promise.all(list) for a list of handles)',
  });
  return false;
}

/**
 * A written type that holds `Promise<…>` where values cross the instance's edge — a task's
 * parameters and result, the workflow's input and result, a signal's payload: CT031 (no value
 * from outside is a handle, and a handle means nothing outside its instance).
 */
export function handleTypeAtEdge(ctx: Ctx, t: Type, span: Span, where: string): boolean {
  if (!holdsHandle(ctx, t)) return true;
  report(ctx, 'CT031', span, `${where} cannot be or hold a handle (${show(ctx, t)}): it only means something inside this instance`, {
    hint: 'write the type of the value the await gives (T, not Promise<T>)',
  });
  return false;
}

/** An expression statement whose value is a handle nobody keeps: CT030 (warning). */
export function floating(ctx: Ctx, e: Expression, t: Type): void {
  if (!holdsHandle(ctx, t)) return;
  const child = e.kind === 'Call' && e.callee.kind === 'Member' && e.callee.object.kind === 'Identifier' && e.callee.object.name === 'workflows';
  const what =
    e.kind === 'Call' && e.callee.kind === 'Identifier' && ctx.tasks.has(e.callee.name)
      ? `task '${e.callee.name}' starts, but its result and failure are ignored`
      : child
        ? `workflow '${(e.callee as { property: string }).property}' starts as a child, but its result and failure are ignored (and it is cancelled with this instance)`
        : 'this handle is dropped: what it waits for is ignored';
  report(ctx, 'CT030', e.span, `never awaited: ${what}`, {
    severity: 'warning',
    hint: child ? `await it, or to start it and go on: workflows.${(e as { callee: { property: string } }).callee.property}.startDetached(input)` : 'await it, or keep the handle to await later: const h = …',
  });
}

/** The key `$handle` written by the workflow: CT036. */
export function reservedKey(ctx: Ctx, key: string, span: Span): void {
  if (key === HANDLE_KEY) report(ctx, 'CT036', span, `the key "${HANDLE_KEY}" is reserved for handles`, { hint: 'choose another name' });
}
