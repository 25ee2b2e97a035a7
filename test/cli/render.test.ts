/** The CLI's formatting: step lines (terminal and plain), final JSON, pending work, status view. */
import pc from 'picocolors';
import { describe, expect, it } from 'vitest';
import type { Output } from '../../cli/io.ts';
import { finalJson, formatFinal, formatMs, formatStatus, formatStep, oneLine } from '../../cli/render.ts';
import type { Instance, StepLog } from '../../runtime/index.ts';
import { compile, start } from '../../dsl/index.ts';

const plain: Output = { tty: false, c: pc.createColors(false), line: () => {}, write: () => {} };
const tty: Output = { tty: true, c: pc.createColors(true), line: () => {}, write: () => {} };

function instance(over: Partial<Instance>): Instance {
  return {
    id: 'i-1',
    workflow: 'w',
    definitionHash: 'sha256:' + 'a'.repeat(64),
    status: 'running',
    input: { x: 1 },
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:01.000Z',
    version: 3,
    state: { v: 1, programHash: 'h', status: 'waiting', frames: [], pending: null, seq: 1, signals: {}, at: { line: 4, col: 3 } },
    tasks: {},
    timers: {},
    steps: [],
    ...over,
  };
}

describe('formatStep', () => {
  const step: StepLog = { at: '2026-01-01T10:20:30.456Z', kind: 'task', task: 'charge', line: 7, col: 3, attempt: 2, outcome: 'ok', durationMs: 1234 };

  it('plain: timestamp, kind, task, line, attempt, outcome and time on one line', () => {
    expect(formatStep(step, plain)).toBe('10:20:30.456 task charge line 7 attempt 2: ok (1.23s)');
    expect(formatStep({ at: '2026-01-01T10:20:30.456Z', kind: 'start', outcome: 'started w' }, plain)).toBe('10:20:30.456 start: started w');
  });

  it('terminal: a coloured symbol and no timestamp', () => {
    const line = formatStep(step, tty);
    expect(line).toContain('\x1b[');
    expect(line).toContain('✔');
    expect(line).not.toContain('10:20:30');
    expect(formatStep({ ...step, outcome: 'failed: boom (retry in 1s)' }, tty)).toContain('✖');
  });
});

describe('final output', () => {
  it('finalJson keeps only id, workflow, status and result or error', () => {
    const done = instance({ status: 'completed', result: { ok: true } });
    expect(finalJson(done)).toEqual({ id: 'i-1', workflow: 'w', status: 'completed', result: { ok: true } });
    const failed = instance({ status: 'failed', error: { code: 'CR007', message: 'task x failed', line: 4, col: 9, task: 'x', attempts: 3 } });
    expect(finalJson(failed)).toEqual({ id: 'i-1', workflow: 'w', status: 'failed', error: failed.error });
  });

  it('formatFinal names the file and position of an error', () => {
    const failed = instance({ status: 'failed', error: { code: 'CR001', message: 'property of null', line: 4, col: 9 } });
    expect(formatFinal(failed, plain, 'a.workflow')).toBe('failed w i-1: CR001 property of null at a.workflow:4:9');
    expect(formatFinal(instance({ status: 'completed', result: null }), plain)).toBe('completed w i-1 → null');
  });
});

describe('formatStatus', () => {
  it('shows status, position, input, pending work and the step log', () => {
    // a real waiting state: the awaited signal comes from the interpreter (signalWaits), not the log
    const program = compile('workflow w(x: number) {\n  let y = 1\n\n  await signal("go")\n}\n', 'w.workflow').program!;
    const { state } = start(program, { x: 1 }, { now: () => new Date(0), uuid: () => 'u' });
    const i = instance({
      status: 'waiting',
      state,
      steps: [{ at: '2026-01-01T00:00:00.000Z', kind: 'signal', line: 4, col: 3, outcome: 'waiting for "go"' }],
    });
    const text = formatStatus(i, plain, 'w.workflow');
    expect(text).toMatch(/^instance +i-1$/m);
    expect(text).toMatch(/^status +waiting$/m);
    expect(text).toMatch(/^at +line 4, col 3$/m);
    expect(text).toMatch(/^input +\{"x":1\}$/m);
    expect(text).toMatch(/^ {2}signal {2}"go" line 4, waiting since 2026-01-01T00:00:00.000Z$/m);
    expect(text).toMatch(/^ {2}00:00:00.000 signal line 4: waiting for "go"$/m);
    // the variables as they are now, parameters included
    expect(text).toMatch(/^variables\n {2}x = 1\n {2}y = 1$/m);
  });

  it('cuts a long variable to one line and shows no variables once the instance ended', () => {
    const program = compile('workflow w(x: any) {\n  const big = x\n  await signal("go")\n}\n', 'w.workflow').program!;
    const { state } = start(program, { x: 'z'.repeat(500) }, { now: () => new Date(0), uuid: () => 'u' });
    const text = formatStatus(instance({ status: 'waiting', state }), plain);
    expect(text).toMatch(/^ {2}big = "z{118}…$/m);
    expect(formatStatus(instance({ status: 'completed', state: { ...state, status: 'completed', frames: [] }, result: 1 }), plain)).not.toContain('variables');
  });
});

describe('one line per step, human durations', () => {
  const base: StepLog = { at: '2026-01-01T10:20:30.456Z', kind: 'task', task: 'charge', line: 7, attempt: 1, outcome: '', durationMs: 401_908_027 };

  it('an error message with newlines and control characters stays one line', () => {
    const step = { ...base, outcome: 'failed: Traceback (most recent call last):\n  File "x.py"\r\nValueError: \x1b[31mred\x07 (retry in 2s)' };
    for (const o of [plain, tty]) {
      const line = formatStep(step, o);
      expect(line.split('\n')).toHaveLength(1);
      expect(line).not.toContain('\r');
      expect(line).not.toContain('\x07');
    }
    expect(formatStep(step, plain)).toBe(
      '10:20:30.456 task charge line 7: failed: Traceback (most recent call last): ⏎   File "x.py" ⏎ ValueError: \\x1b[31mred\\x07 (retry in 2s) (4d 15h)',
    );
    expect(oneLine('tab\tstays')).toBe('tab\tstays');
  });

  it('the closing line of a failed run is one line too', () => {
    const i = instance({ status: 'failed', error: { code: 'CR007', message: 'boom\nsecond line', line: 3, col: 5 } });
    expect(formatFinal(i, plain, 'w.workflow')).toBe('failed w i-1: CR007 boom ⏎ second line at w.workflow:3:5');
  });

  it('long durations print humanly', () => {
    expect(formatMs(401_908_027)).toBe('4d 15h');
    expect(formatMs(52)).toBe('52ms');
    expect(formatMs(1234)).toBe('1.23s');
  });
});
