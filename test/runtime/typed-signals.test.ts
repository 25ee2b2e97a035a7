/**
 * Typed signals (issue 10): `signal<T>(name)` checks each payload against T when it arrives, as a
 * workflow's input is checked. At the door (`signalInstance`: the CLI and the HTTP API) a payload
 * that does not fit is `SignalRejectedError` `SIGNAL_PAYLOAD_INVALID` with the path of every
 * mismatch, and the instance is unchanged; one that reaches the engine another way is dropped and
 * logged; inside the interpreter it is ignored. The type of a name comes from the program text
 * (`signal<T>("name")`), or from the await the instance waits on right now (a computed name).
 */
import { describe, expect, it } from 'vitest';
import { checkSignal, compile, resume, signalType, start, type ExecOptions } from '../../dsl/index.ts';
import { errorResponse } from '../../functions/http.ts';
import { signalInstance } from '../../runtime/driver.ts';
import { SignalRejectedError } from '../../runtime/errors.ts';
import { Harness } from './harness.ts';

const SOURCE = `type Decision = { approved: boolean, by: string }
task ask(): void
workflow w(): string {
  await ask()
  const d = await signal<Decision>("decision")
  return \`\${d.approved} by \${d.by}\`
}`;

const o: ExecOptions = { now: () => new Date(0), uuid: () => 'u' };

describe('checkSignal (dsl)', () => {
  const program = compile(SOURCE, 'w.workflow').program!;

  it('checks a constant name against its type, with the path of each mismatch', () => {
    const s = start(program, {}, o).state;
    expect(checkSignal(program, s, 'decision', { approved: true, by: 'ana' })).toEqual({ ok: true });
    const bad = checkSignal(program, s, 'decision', 42);
    expect(bad).toMatchObject({ ok: false, code: 'SIGNAL_PAYLOAD_INVALID', errors: [{ path: '$', message: 'expected Decision, got number' }] });
    const fields = checkSignal(program, s, 'decision', { approved: 'yes' });
    expect(fields.ok ? [] : fields.errors).toEqual([
      { path: '$.approved', message: 'expected boolean, got string' },
      { path: '$.by', message: "missing field 'by' (string)" },
    ]);
    expect(fields.ok ? '' : fields.message).toBe(
      `the payload of signal "decision" does not match Decision: $.approved: expected boolean, got string; $.by: missing field 'by' (string)`,
    );
    // null fits only a type that accepts null; a name the workflow does not type takes anything
    expect(checkSignal(program, s, 'decision', null).ok).toBe(false);
    expect(checkSignal(program, s, 'other', 42)).toEqual({ ok: true });
  });

  it('a computed name is typed by the await that waits for it right now', () => {
    const p = compile(`workflow w(id: string): number {\n  const n = await signal<number>(\`count-\${id}\`)\n  return n\n}`, 'w.workflow').program!;
    const s = start(p, { id: 'a' }, o).state;
    expect(signalType(p, s, 'count-a')?.kind).toBe('PrimitiveType');
    expect(checkSignal(p, s, 'count-a', 'x').ok).toBe(false);
    expect(checkSignal(p, s, 'count-b', 'x')).toEqual({ ok: true }); // not awaited: no type known
    expect(resume(p, s, { type: 'signal', name: 'count-a', payload: 'x' }, o).ignored).toMatch(/^SIGNAL_PAYLOAD_INVALID/);
    expect(resume(p, s, { type: 'signal', name: 'count-a', payload: 3 }, o).state.result).toBe(3);
  });

  it('the interpreter ignores a payload that does not fit, and leaves the state as it was', () => {
    const a = start(program, {}, o);
    const early = resume(program, a.state, { type: 'signal', name: 'decision', payload: { approved: 1 } }, o);
    expect(early.ignored).toMatch(/^SIGNAL_PAYLOAD_INVALID: the payload of signal "decision" does not match Decision: \$\.approved/);
    expect(early.state).toBe(a.state);
    expect(early.commands).toEqual([]);
  });

  it('a buffered payload under a computed name that does not fit is dropped with a warning when the typed await takes it', () => {
    const p = compile(
      `task t(): void\nworkflow w(id: string): number {\n  await t()\n  const n = await signal<number>(\`count-\${id}\`)\n  return n\n}`,
      'w.workflow',
    ).program!;
    const a = start(p, { id: 'a' }, o);
    let s = resume(p, a.state, { type: 'signal', name: 'count-a', payload: 'not a number' }, o).state; // buffered: no type known yet
    s = resume(p, s, { type: 'signal', name: 'count-a', payload: 7 }, o).state;
    const id = (a.commands[0] as { id: string }).id;
    const done = resume(p, s, { type: 'taskCompleted', id, result: null }, o);
    expect(done.state.result).toBe(7);
    expect(done.commands.filter((c) => c.type === 'log')).toEqual([
      expect.objectContaining({ level: 'warn', message: expect.stringMatching(/^signal "count-a" dropped: the payload of signal "count-a" does not match number: \$: expected number, got string/) }),
    ]);
  });
});

describe('typed signals and handles', () => {
  const KEPT = `task t(): void\nworkflow w(id: string): number {\n  const h = signal<number>(\`count-\${id}\`)\n  await t()\n  const n = await h\n  return n\n}`;

  it('a typed signal kept as a handle types its computed name while the workflow awaits something else', () => {
    const p = compile(KEPT, 'w.workflow').program!;
    const a = start(p, { id: 'a' }, o);
    expect(a.state.status).toBe('waiting');
    expect(signalType(p, a.state, 'count-a')?.kind).toBe('PrimitiveType');
    expect(checkSignal(p, a.state, 'count-a', 'x')).toMatchObject({ ok: false, code: 'SIGNAL_PAYLOAD_INVALID' });
    const refused = resume(p, a.state, { type: 'signal', name: 'count-a', payload: 'x' }, o);
    expect(refused.ignored).toMatch(/^SIGNAL_PAYLOAD_INVALID/);
    expect(refused.state).toBe(a.state);
    const s = resume(p, a.state, { type: 'signal', name: 'count-a', payload: 5 }, o).state;
    const id = (a.commands.find((c) => c.type === 'scheduleTask') as { id: string }).id;
    expect(resume(p, s, { type: 'taskCompleted', id, result: null }, o).state.result).toBe(5);
  });

  it('signal<T>([a, b]) types every name of the list', () => {
    const p = compile(`workflow w() {\n  const d = await signal<{ ok: boolean }>(["approve", "reject"])\n  return d.name\n}`, 'w.workflow').program!;
    const s = start(p, {}, o).state;
    for (const name of ['approve', 'reject']) {
      expect(checkSignal(p, s, name, { ok: 1 })).toMatchObject({ ok: false, errors: [{ path: '$.ok', message: 'expected boolean, got number' }] });
      expect(checkSignal(p, s, name, { ok: true })).toEqual({ ok: true });
    }
    expect(resume(p, s, { type: 'signal', name: 'reject', payload: { ok: false } }, o).state.result).toBe('reject');
  });

  it('a state saved before handles (v1) waiting on a computed typed name is checked at the door too', () => {
    const p = compile(`workflow w(id: string): number {\n  const n = await signal<number>(\`count-\${id}\`)\n  return n\n}`, 'w.workflow').program!;
    const s = start(p, { id: 'a' }, o).state;
    const wait = s.pending as { id: string; a: number; s: number };
    const v1 = { ...s, v: 1, pending: { t: 'signal', id: wait.id, a: wait.a, s: wait.s, name: 'count-a' } } as typeof s;
    delete (v1 as { h?: unknown }).h;
    expect(checkSignal(p, v1, 'count-a', 'x').ok).toBe(false);
    expect(checkSignal(p, v1, 'count-a', 2)).toEqual({ ok: true });
    expect(v1.v).toBe(1); // read, not changed
  });
});

describe('signalInstance with a typed signal (the door of the CLI and the API)', () => {
  it('refuses a payload that is not a Decision with SIGNAL_PAYLOAD_INVALID and the paths, and changes nothing', async () => {
    const h = new Harness();
    await h.start(SOURCE, {});
    const before = await h.load();
    const err = await signalInstance(h.deps, h.id, 'decision', 42).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SignalRejectedError);
    expect(err).toMatchObject({ code: 'SIGNAL_PAYLOAD_INVALID', problems: ['$: expected Decision, got number'] });
    const err2 = (await signalInstance(h.deps, h.id, 'decision', { approved: true }).catch((e: unknown) => e)) as SignalRejectedError;
    expect(err2.problems).toEqual(["$.by: missing field 'by' (string)"]);
    expect(await h.load()).toEqual(before);
    // a payload that fits is buffered (the workflow is still at its task) and then delivered
    await signalInstance(h.deps, h.id, 'decision', { approved: true, by: 'ana' });
    const [t] = h.sentTasks();
    await h.complete(t!, null);
    expect(await h.load()).toMatchObject({ status: 'completed', result: 'true by ana' });
  });

  it('the core drops (and logs) a payload that does not fit when it comes another way, e.g. a queue', async () => {
    const h = new Harness();
    await h.start(SOURCE, {});
    await h.signal('decision', 42);
    const i = await h.load();
    expect(i.status).toBe('running');
    expect(i.state.signals).toEqual({});
    expect(i.steps.at(-1)?.outcome).toMatch(/^refused "decision": SIGNAL_PAYLOAD_INVALID: /);
  });

  it('maps to 400 with the problems at the HTTP API', () => {
    const r = errorResponse(new SignalRejectedError('i', 'decision', 'SIGNAL_PAYLOAD_INVALID', 'does not match', ['$.by: expected string, got number']))!;
    expect(r.statusCode).toBe(400);
    expect(JSON.parse(r.body)).toEqual({
      error: { code: 'SIGNAL_PAYLOAD_INVALID', message: "instance 'i' refused the signal (SIGNAL_PAYLOAD_INVALID): does not match", problems: ['$.by: expected string, got number'] },
    });
  });
});
