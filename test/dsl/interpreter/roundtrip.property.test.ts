/**
 * Property: a random small program with random task results ends the same way and emits the same
 * commands whether run straight through or with its state JSON round-tripped (and the options
 * re-created) at every await. Programs come from a few statement templates with random constants,
 * branches, loops, try/catch/finally, awaits of every form — handles kept across awaits, races,
 * `Promise.any`, signal handles, `sleepUntil`, child workflows —, callbacks and helpers; some runs are cancelled
 * part-way. No saved state holds a frame of a helper or callback.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Value } from '../../../dsl/interpreter/types.ts';
import { drive, program, type TaskAnswer } from './helpers.ts';

const HEADER = `task inc(n: number): number
task add(a: number, b: number): number
task check(x: number): number
function mix(p: number, q: number): number { return (p * 31 + q) % 1000 }
function bump(ys: number[]): number[] {
  const out: number[] = []
  for (const y of ys) { if (y % 4 !== 3) out.push((y + 1) % 10) }
  return out
}
`;

/** A statement generator of bounded depth; `fresh` names loop variables uniquely. */
function statements(depth: number): fc.Arbitrary<string[]> {
  const k = fc.integer({ min: 0, max: 9 });
  const small = fc.integer({ min: 0, max: 3 });
  const simple: fc.Arbitrary<string>[] = [
    k.map((c) => `a = (a + ${c}) % 1000`),
    k.map((c) => `b = (b * ${c + 1} + a) % 997`),
    k.map((c) => `xs.push((a + ${c}) % 10)`),
    fc.constant(`if (xs.length > 0) { b += xs.pop() }`),
    fc.constant(`o.n = o.n + 1; o.tags.push(a % 3)`),
    fc.constant(`a = await inc(a)`),
    fc.constant(`b += await add(a, b)`),
    fc.constant(`const r = await Promise.all([inc(a), add(a, b)]); a = (r[0] + r[1]) % 1000`),
    small.map((c) => `const rs = await Promise.allSettled(xs.map(check), { concurrency: ${c + 1} }); for (const q of rs) { if (q.status === "fulfilled") { a = (a + q.value) % 1000 } else { b += 1 } }`),
    fc.constant(`await sleep("1s")`),
    fc.constant(`const s = await signal("go", { timeout: "1m" }); if (!s.timedOut) { a = (a + s.payload) % 1000 }`),
    fc.constant(`const g = await signal("tick", { timeout: 500 }); if (g.timedOut) { b += 2 }`),
    k.map((c) => `if (a % 10 === ${c}) { return [a, b, xs, o] }`),
    // handles: kept across other awaits, raced, combined
    fc.constant(`const hh = inc(a); b = (b + 1) % 997; const hv = await hh; a = hv % 1000`),
    fc.constant(`hs.push(add(a, b))`),
    fc.constant(`const rr = await Promise.race([inc(a), sleep("1s")]); if (rr !== null) { a = rr % 1000 }`),
    fc.constant(`const ai = await Promise.race([sleep(5), inc(b)], { index: true }); b = (b + ai.index) % 997`),
    fc.constant(`const aa = await Promise.all([inc(a), add(a, b), 3]); a = (aa[0] + aa[1] + aa[2]) % 1000`),
    fc.constant(`const an = await Promise.any([check(a), inc(b)]); b = (b + an) % 997`),
    fc.constant(`const kept = signal("go"); const r2 = await Promise.race([kept, sleep(10)]); if (r2 !== null) { a = (a + r2) % 1000 }`),
    fc.constant(`const sg = await signal(["go", "tick"], { timeout: 500 }); if (!sg.timedOut) { a = (a + 1) % 1000 }`),
    fc.constant(`await sleepUntil(addTime(now(), 1000))`),
    fc.constant(`try { a = await inc(a) } catch (e) { b = (b + 1) % 997; const ca = await inc(a); a = ca % 1000 }`),
    k.map((c) => `a = xs.map((x, i) => x * ${c} + i).reduce((s, x) => (s + x) % 1000, a)`),
    fc.constant(`xs = bump(xs.filter((x) => x !== a % 10))`),
    fc.constant(`b = (b + xs.findIndex((x) => { if (x > 5) return true; return false }) + 1) % 997`),
    fc.constant(`o.tags.sort((p, q) => q - p); a = mix(a, o.tags.length)`),
    // child workflows: awaited, kept and raced, started detached
    fc.constant(`const kr = await workflows.kid({ n: a }); a = (a + kr) % 1000`),
    fc.constant(`const kh = workflows.kid({ n: b }); const kv = await Promise.race([kh, sleep("1s")]); if (kv !== null) { b = (b + kv) % 997 }`),
    fc.constant(`o.tags.push(workflows.kid.startDetached({ n: a }).length % 10)`),
  ];
  if (depth <= 0) return fc.array(fc.oneof(...simple), { minLength: 1, maxLength: 3 });
  const inner = statements(depth - 1).map((ss) => ss.join('\n'));
  const compound: fc.Arbitrary<string>[] = [
    fc.tuple(k, inner, inner).map(([c, t, e]) => `if (a % 3 === ${c % 3}) {\n${t}\n} else {\n${e}\n}`),
    fc.tuple(small, inner).map(([c, body]) => `for (let i${depth} = 0; i${depth} < ${c}; i${depth}++) {\n${body}\n}`),
    fc.tuple(small, inner).map(([c, body]) => `{ let w${depth} = 0\nwhile (w${depth} < ${c}) {\nw${depth}++\n${body}\nif (b % 5 === 4) { break }\n} }`),
    inner.map((body) => `for (const x${depth} of [1, 2]) {\nif (x${depth} === 2 && a % 2 === 0) { continue }\n${body}\n}`),
    fc.tuple(inner, inner).map(([t, f]) => `try {\n${t}\n} finally {\n${f}\n}`),
  ];
  return fc.array(fc.oneof(...simple, ...compound), { minLength: 1, maxLength: 3 });
}

// Half the programs run their body inside a try whose finally awaits a task, so a good share of
// the cancelled runs compensate (a cancel only compensates where a catch or finally encloses it).
const programText = fc.tuple(statements(2), fc.boolean()).map(([body, guarded]) => {
  const inner = guarded ? `try {\n${body.join('\n')}\n} finally {\nconst fz = await inc(b); b = fz % 997\n}` : body.join('\n');
  return `${HEADER}workflow w(a: number, b: number) {
let xs = [1, 2, 3]
const o = { n: 0, tags: [] }
const hs = []
${inner}
for (const h of hs) { const v = await h; a = (a + v) % 1000 }
return [a, b, xs, o]
}`;
});

/** Random task outcomes, cycled in call order. */
const outcomes = fc.array(fc.oneof(fc.integer({ min: 0, max: 50 }).map((n) => ({ ok: n }) as TaskAnswer), fc.constant({ fail: 'nope' } as TaskAnswer)), {
  minLength: 1,
  maxLength: 12,
});

/** Ids of every node inside a helper or an arrow function. */
function functionNodeIds(p: unknown): Set<number> {
  const out = new Set<number>();
  const walk = (x: unknown, inside: boolean): void => {
    if (Array.isArray(x)) return x.forEach((y) => walk(y, inside));
    if (typeof x !== 'object' || x === null) return;
    const o = x as Record<string, unknown>;
    const here = inside || o.kind === 'FunctionDecl' || o.kind === 'ArrowFunction';
    if (here && typeof o.id === 'number') out.add(o.id);
    for (const [k, v] of Object.entries(o)) if (k !== 'span') walk(v, here);
  };
  walk(p, false);
  return out;
}

function answerer(script: TaskAnswer[]) {
  let n = 0;
  // inc and add never fail (a failure there fails the workflow, which is tested elsewhere): only
  // check, run under allSettled, takes the scripted failures
  return (task: string, args: Value[]): TaskAnswer => {
    // a child workflow completes with a number from its input (a failure is tested elsewhere)
    if (task.startsWith('workflows.')) return { ok: ((args[0] as { n: number }).n * 3) % 7 };
    const r = script[n++ % script.length]!;
    if ('fail' in r && task !== 'check') return { ok: (args[0] as number) % 7 };
    return r;
  };
}

describe('straight run vs JSON round trip at every await', () => {
  it('gives the same result and the same commands', () => {
    const ends = { completed: 0, cancelled: 0, compensated: 0 };
    fc.assert(
      fc.property(
        programText,
        fc.integer({ min: 0, max: 999 }),
        fc.integer({ min: 0, max: 999 }),
        outcomes,
        fc.boolean(),
        fc.boolean(),
        fc.option(fc.integer({ min: 1, max: 12 }), { nil: undefined }),
        (source, a, b, script, giveSignal, early, cancelAfter) => {
          const prog = program(source);
          const inFunction = functionNodeIds(prog);
          const opts = {
            signals: (giveSignal ? { go: 5 } : {}) as Record<string, Value>,
            duplicates: true,
            early: early ? [{ type: 'signal' as const, name: 'tick', payload: 1 }] : [],
            cancelAfter,
          };
          const straight = drive(prog, { a, b }, answerer(script), { ...opts, roundTrip: false });
          // a structurally equal but distinct Program: nothing may hang on the first one's identity
          const resumed = drive(structuredClone(prog), { a, b }, answerer(script), { ...opts, roundTrip: true });
          expect(resumed.commands).toEqual(straight.commands);
          expect(resumed.final.state).toEqual(straight.final.state);
          expect(resumed.states).toEqual(straight.states);
          // frames name statements of the workflow only: never of a helper or callback body
          for (const st of straight.states) for (const f of st.frames as { n: number }[]) expect(inFunction.has(f.n), JSON.stringify(f)).toBe(false);
          expect(straight.final.state.status, JSON.stringify(straight.final.state.error)).toMatch(cancelAfter === undefined ? /^completed$/ : /^(completed|cancelled)$/);
          // duplicate deliveries were ignored, never applied twice: each ignored event repeats one
          // that was applied before, or is a timer that was cancelled (its signal came first)
          const applied = new Set(straight.delivered.map((e) => JSON.stringify(e)));
          const cancelled = new Set(straight.commands.flatMap((c) => (c.type === 'cancelTimer' ? [c.id] : [])));
          const scheduled = new Set(straight.commands.flatMap((c) => (c.type === 'scheduleTask' || c.type === 'startChild' ? [c.id] : [])));
          for (const e of straight.ignored) {
            // a duplicate, a cancelled timer, or a result for a handle nothing awaits any more (a race's loser)
            const ok = applied.has(JSON.stringify(e)) || (e.type === 'timerFired' && cancelled.has(e.id)) || (e.type !== 'signal' && e.type !== 'cancel' && scheduled.has(e.id));
            expect(ok, JSON.stringify(e)).toBe(true);
          }
          if (straight.final.state.status === 'completed') ends.completed++;
          if (straight.final.state.status === 'cancelled') ends.cancelled++;
          if (straight.states.some((x) => x.x !== undefined)) ends.compensated++;
          const ids = straight.delivered.flatMap((e) => ('id' in e ? [e.id] : []));
          expect(new Set(ids).size).toBe(ids.length);
        },
      ),
      { numRuns: 100 },
    );
    // the runs are not vacuous: some end normally, some are cancelled, some compensate in a catch/finally
    expect(ends.completed).toBeGreaterThan(0);
    expect(ends.cancelled).toBeGreaterThan(0);
    expect(ends.compensated).toBeGreaterThan(0);
  });
});
