/**
 * Issue 10's "done when": the three small workflows a TypeScript developer wrote from the docs (a
 * saga, a batch job, a human-in-the-loop), written the way TypeScript is written — interface,
 * readonly, Record, `as`, `!`, `**`/`**=`, `??=`, a labeled break, destructuring assignment,
 * `includes` on a string, a conditional of two literals, callbacks with an index, `forEach`,
 * `console.log`, `switch`, `signal<T>` — compile with no diagnostic and run to the right result;
 * a payload that is not a `Decision` is refused with its path.
 */
import { describe, expect, it } from 'vitest';
import { compile } from '../../dsl/index.ts';
import { checkSignal } from '../../dsl/interpreter/signals.ts';
import { start } from '../../dsl/interpreter/index.ts';
import type { Value } from '../../dsl/interpreter/types.ts';
import { drive, options } from './interpreter/helpers.ts';

const SAGA = `type Booking = { id: string, kind: "hotel" | "flight" }
interface Trip { readonly city: string; nights: number }
task bookHotel(city: string, nights: number): string
task bookFlight(city: string): string
task cancelBooking(id: string): void

workflow saga(trip: Trip): { outcome: "booked" | "rolled back", ids: string[] } {
  const done: Booking[] = []
  try {
    const hotel = await bookHotel(trip.city, trip.nights)
    done.push({ id: hotel, kind: "hotel" })
    const flight = await bookFlight(trip.city)
    done.push({ id: flight, kind: "flight" })
  } catch (e) {
    for (const b of [...done].reverse()) await cancelBooking(b.id)
    console.log("rolled back:", e.message)
  }
  const ok = done.length === 2
  const outcome = ok ? "booked" : "rolled back"
  return { outcome, ids: done.map((b) => b.id) }
}
`;

const BATCH = `type Row = { id: string, size: number }
task load(batch: number): Row[]
task process(id: string): number

workflow batch(batches: number): { total: number, sizes: Record<string, number>, first: string } {
  const sizes: Record<string, number> = {}
  let total = 0
  let first = ""
  outer: for (let b = 0; b < batches; b++) {
    const rows = await load(b)
    const wanted = rows.filter((r, i) => i % 2 === 0 && r.size > 0)
    wanted.forEach((r) => console.log(\`batch \${b}: \${r.id}\`))
    for (const r of wanted) {
      sizes[r.id] = r.size ** 2
      if (r.size > 100) break outer
      total += await process(r.id)
    }
  }
  ;[first] = Object.keys(sizes)
  total **= 1
  return { total, sizes, first: first ?? "none" }
}
`;

const APPROVAL = `type Decision = { approved: boolean, by: string }
task notify(who: string, text: string): void

workflow approval(requestId: string, approvers: readonly string[]): { outcome: "approved" | "rejected", by: string | null } {
  const allowed = ["ann", "bob"]
  for (const a of approvers) {
    if (!allowed.includes(a)) throw new Error(\`unknown approver \${a}\`)
    await notify(a, \`please decide on \${requestId}\`)
  }
  const d = await signal<Decision>("decision", { timeout: "2d" })
  let by: string | null = null
  let outcome: "approved" | "rejected" = "rejected"
  if (!d.timedOut) {
    const decision = d.payload!
    by = decision.by
    outcome = decision.approved ? "approved" : "rejected"
  }
  by ??= "nobody"
  switch (outcome) {
    case "approved":
      console.log(\`\${requestId} approved by \${by}\`)
      break
    default:
      console.log(\`\${requestId} rejected\`)
  }
  return { outcome, by: by as string }
}
`;

function compiled(source: string) {
  const r = compile(source, 'w.workflow');
  expect(r.diagnostics.map((d) => `${d.code} ${d.span.line}:${d.span.col} ${d.message}`)).toEqual([]);
  return r.program!;
}

describe('workflows written as TypeScript', () => {
  it('a saga: try/catch compensates newest first; the outcome is a conditional of two literals', () => {
    const p = compiled(SAGA);
    const ok = drive(p, { trip: { city: 'LIS', nights: 2 } }, (task, args) => ({ ok: `${task}:${args[0]}` }));
    expect(ok.final.state.result).toEqual({ outcome: 'booked', ids: ['bookHotel:LIS', 'bookFlight:LIS'] });
    const calls: string[] = [];
    const failed = drive(p, { trip: { city: 'LIS', nights: 2 } }, (task, args) => {
      calls.push(`${task}(${args[0]})`);
      return task === 'bookFlight' ? { fail: 'no seats' } : { ok: `${task}:${args[0]}` };
    });
    expect(failed.final.state.result).toEqual({ outcome: 'rolled back', ids: ['bookHotel:LIS'] });
    expect(calls).toEqual(['bookHotel(LIS)', 'bookFlight(LIS)', 'cancelBooking(bookHotel:LIS)']);
  });

  it('a batch job: callbacks with an index, forEach, Record, **, a labeled break, destructuring assignment', () => {
    const p = compiled(BATCH);
    const rows: Record<number, Value> = {
      0: [{ id: 'a', size: 2 }, { id: 'skip', size: 9 }, { id: 'b', size: 3 }],
      1: [{ id: 'c', size: 500 }, { id: 'd', size: 1 }],
    };
    const r = drive(p, { batches: 3 }, (task, args) => (task === 'load' ? { ok: rows[args[0] as number] ?? [] } : { ok: 10 }));
    // batch 0 keeps a and b (even indexes), batch 1 meets c (over 100) and leaves both loops
    expect(r.final.state.result).toEqual({ total: 20, sizes: { a: 4, b: 9, c: 250000 }, first: 'a' });
    const loads = r.commands.filter((c) => c.type === 'scheduleTask' && c.task === 'load').length;
    expect(loads).toBe(2);
  });

  it('a human in the loop: signal<Decision>, includes, ! and as, ??=, switch', () => {
    const p = compiled(APPROVAL);
    const input = { requestId: 'r1', approvers: ['ann', 'bob'] };
    const yes = drive(p, input, () => ({ ok: null }), { signals: { decision: { approved: true, by: 'ann' } } });
    expect(yes.final.state.result).toEqual({ outcome: 'approved', by: 'ann' });
    const bad = drive(p, { requestId: 'r2', approvers: ['eve'] }, () => ({ ok: null }));
    expect(bad.final.state.status).toBe('failed');
    expect(bad.final.state.error?.message).toBe('unknown approver eve');
    // a payload of 42 for signal<Decision> is refused at the door with its path, not taken as by: null
    const waiting = start(p, input, options()).state;
    expect(checkSignal(p, waiting, 'decision', 42)).toMatchObject({ ok: false });
    const fields = checkSignal(p, waiting, 'decision', { approved: 'yes', by: 7 });
    expect(fields.ok ? [] : fields.errors.map((e) => e.path)).toEqual(['$.approved', '$.by']);
    expect(checkSignal(p, waiting, 'decision', { approved: false, by: 'bob' })).toEqual({ ok: true });
  });
});
