/**
 * Signals refused at the door (issue 7): signals for names nobody awaits are buffered up to a cap
 * per instance; past it `signalInstance` throws `SignalRejectedError` and the instance is
 * unchanged, the core drops (and logs) one that got by, and a signal awaited right now is never
 * refused for the cap. The API maps the error to a 4xx with its code.
 */
import { describe, expect, it } from 'vitest';
import { admitSignal, compile, resume, start, type ExecOptions } from '../../dsl/index.ts';
import { signalInstance } from '../../runtime/driver.ts';
import { SignalRejectedError } from '../../runtime/errors.ts';
import { errorResponse } from '../../functions/http.ts';
import { Harness } from './harness.ts';

const SOURCE = `task t(): any
workflow w() {
  await t()
  const a = await signal("approve")
  return a
}`;

const big = (bytes: number) => ({ blob: 'x'.repeat(bytes) });

describe('the signal buffer in the interpreter', () => {
  const program = compile(SOURCE, 'w.workflow').program!;
  const o: ExecOptions = { now: () => new Date(0), uuid: () => 'u' };

  it('two 140 KB signals nobody awaits no longer fail the instance (CR006): they are ignored', () => {
    const a = start(program, {}, o);
    const b = resume(program, a.state, { type: 'signal', name: 'spam', payload: big(140_000) }, o);
    expect(b.ignored).toMatch(/^SIGNAL_TOO_LARGE/);
    const c = resume(program, b.state, { type: 'signal', name: 'spam', payload: big(140_000) }, o);
    expect(c.ignored).toMatch(/^SIGNAL_TOO_LARGE/);
    expect(c.state.status).toBe('waiting');
  });

  it('caps the count (default 100) and the bytes (default 64 KiB)', () => {
    let s = start(program, {}, o).state;
    for (let i = 0; i < 100; i++) {
      const r = resume(program, s, { type: 'signal', name: `n${i % 7}`, payload: i }, o);
      expect(r.ignored).toBeUndefined();
      s = r.state;
    }
    expect(admitSignal(s, 'more', 1)).toMatchObject({ ok: false, code: 'SIGNAL_BUFFER_FULL' });
    expect(resume(program, s, { type: 'signal', name: 'more', payload: 1 }, o).ignored).toMatch(/^SIGNAL_BUFFER_FULL/);

    let t = start(program, {}, o).state;
    t = resume(program, t, { type: 'signal', name: 'x', payload: big(40_000) }, o).state;
    expect(admitSignal(t, 'y', big(30_000))).toMatchObject({ ok: false, code: 'SIGNAL_BUFFER_FULL' });
    expect(admitSignal(t, 'y', big(20_000))).toEqual({ ok: true });
    expect(admitSignal(t, 'y', big(20_000), { maxBufferedSignalBytes: 50_000 })).toMatchObject({ ok: false });
  });

  it('never refuses the signal awaited right now for the cap', () => {
    const a = start(program, {}, o);
    let s = a.state;
    for (let i = 0; i < 100; i++) s = resume(program, s, { type: 'signal', name: 'other', payload: i }, o).state;
    const id = (a.commands[0] as { id: string }).id;
    s = resume(program, s, { type: 'taskCompleted', id, result: null }, o).state;
    expect(s.status).toBe('waiting');
    expect(admitSignal(s, 'approve', big(100_000))).toEqual({ ok: true });
    const done = resume(program, s, { type: 'signal', name: 'approve', payload: 'yes' }, o);
    expect(done.state.result).toBe('yes');
  });

  it('refuses empty names and payloads nested too deeply', () => {
    const s = start(program, {}, o).state;
    expect(admitSignal(s, '', 1)).toMatchObject({ ok: false, code: 'SIGNAL_INVALID' });
    expect(admitSignal(s, 'approve', JSON.parse('['.repeat(200) + ']'.repeat(200)))).toMatchObject({ ok: false, code: 'SIGNAL_TOO_LARGE' });
  });
});

describe('signalInstance (the door)', () => {
  it('throws SignalRejectedError past the cap and leaves the instance unchanged', async () => {
    const h = new Harness();
    await h.start(SOURCE, {});
    await signalInstance(h.deps, h.id, 'early', big(40_000));
    const before = await h.load();
    const err = await signalInstance(h.deps, h.id, 'early', big(40_000)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SignalRejectedError);
    expect((err as SignalRejectedError).code).toBe('SIGNAL_BUFFER_FULL');
    const after = await h.load();
    expect(after).toEqual(before);
    expect(after.status).toBe('running');
  });

  it('honours the limits of the deps', async () => {
    const h = new Harness();
    (h.deps as { limits?: object }).limits = { maxBufferedSignals: 1 };
    await h.start(SOURCE, {});
    await signalInstance(h.deps, h.id, 'a', 1);
    await expect(signalInstance(h.deps, h.id, 'b', 2)).rejects.toMatchObject({ code: 'SIGNAL_BUFFER_FULL' });
  });

  it('the core drops (and logs) a signal over the cap that came another way, e.g. a queue', async () => {
    const h = new Harness();
    await h.start(SOURCE, {});
    const r = await h.signal('spam', big(140_000));
    expect(r.duplicate).toBe(false);
    const i = await h.load();
    expect(i.status).toBe('running');
    expect(i.state.signals).toEqual({});
    expect(i.steps.at(-1)?.outcome).toMatch(/^refused "spam": SIGNAL_TOO_LARGE/);
  });

  it('maps to a 4xx JSON error with the code at the HTTP API', () => {
    const full = errorResponse(new SignalRejectedError('i', 's', 'SIGNAL_BUFFER_FULL', 'full'))!;
    expect(full.statusCode).toBe(409);
    expect(JSON.parse(full.body).error.code).toBe('SIGNAL_BUFFER_FULL');
    expect(errorResponse(new SignalRejectedError('i', 's', 'SIGNAL_TOO_LARGE', 'big'))!.statusCode).toBe(413);
    expect(errorResponse(new SignalRejectedError('i', 's', 'SIGNAL_INVALID', 'bad'))!.statusCode).toBe(400);
  });
});
