/**
 * Reads `*.cases` files and drives one case through the interpreter with scripted task results.
 *
 *   const cases = loadCases(dir);           // [{ file, name, source, input, tasks, … }]
 *   const outcome = runCase(c, { roundTrip: true });
 *   // => { status: 'completed', result: 7, calls: ['inc(1)'], commands: [...] }
 *
 * Time is virtual: the clock starts at 2026-01-01T00:00:00Z and jumps to each event as it is
 * delivered, in time order (ties in the order they were made). A task answers at once, or after
 * `$after` (`{"$after": "1h", "$value": 5}`); a timer fires at its time (a cancelled one never);
 * a signal of the case's `signals` answers each wait for its name at once; the case's `events`
 * (signals and cancels) come at their `at`. With `roundTrip`, the state goes through JSON at every
 * await.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  compile,
  parseDuration,
  resume,
  start,
  type Activation,
  type Command,
  type Diagnostic,
  type ExecOptions,
  type Program,
  type TaskFailure,
  type Value,
  type WorkflowEvent,
} from '../../../dsl/index.ts';

export interface Case {
  file: string;
  name: string;
  line: number;
  source: string;
  input: Record<string, Value>;
  tasks: Record<string, Value[]>;
  signals: Record<string, Value>;
  order?: 'reverse';
  result?: { value: Value };
  error?: string;
  diagnostics?: string[];
  calls?: string[];
  /** Expected log lines, `level line:col message` each, in order. */
  logs?: string[];
  options?: Partial<ExecOptions>;
  /** Timed events: `{ "at": "1h", "signal": "approve", "payload": … }` or `{ "at": "30m", "cancel": "reason" }`. */
  events?: TimedEvent[];
  /** Expected end `cancelled` with this error message. */
  cancelled?: string;
}

export type TimedEvent = { at: string | number; signal: string; payload?: Value } | { at: string | number; cancel: string | null };

export interface Outcome {
  status: 'completed' | 'failed' | 'cancelled' | 'stuck';
  result?: Value;
  error?: string;
  errorMessage?: string;
  calls: string[];
  /** The `log` commands as `level line:col message`. */
  logs: string[];
  commands: Command[];
}

const SECTIONS = new Set(['source', 'input', 'tasks', 'signals', 'order', 'result', 'error', 'diagnostics', 'calls', 'logs', 'options', 'events', 'cancelled']);

export function loadCases(dir: string): Case[] {
  const cases: Case[] = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.cases')).sort()) {
    cases.push(...parseCases(readFileSync(join(dir, f), 'utf8'), f));
  }
  return cases;
}

export function parseCases(text: string, file: string): Case[] {
  const out: Case[] = [];
  const lines = text.split('\n');
  let current: { name: string; line: number; sections: Map<string, string[]> } | undefined;
  let section: string[] | undefined;
  const flush = () => {
    if (!current) return;
    const get = (k: string) => current!.sections.get(k)?.join('\n').replace(/\s+$/, '');
    const json = (k: string) => {
      const t = get(k);
      if (t === undefined || t === '') return undefined;
      try {
        return JSON.parse(t);
      } catch (e) {
        throw new Error(`${file}:${current!.line} (${current!.name}): bad JSON in --- ${k}: ${(e as Error).message}`);
      }
    };
    const source = get('source');
    if (source === undefined) throw new Error(`${file}:${current.line}: case '${current.name}' has no source`);
    const c: Case = {
      file,
      name: current.name,
      line: current.line,
      source: source + '\n',
      input: json('input') ?? {},
      tasks: json('tasks') ?? {},
      signals: json('signals') ?? {},
    };
    if (get('order')) c.order = get('order') as 'reverse';
    if (current.sections.has('result')) c.result = { value: json('result') ?? null };
    if (get('error')) c.error = get('error');
    if (current.sections.has('diagnostics')) c.diagnostics = (get('diagnostics') ?? '').split('\n').map((s) => s.trim()).filter(Boolean);
    if (current.sections.has('calls')) c.calls = (get('calls') ?? '').split('\n').map((s) => s.trim()).filter(Boolean);
    if (current.sections.has('logs')) c.logs = (get('logs') ?? '').split('\n').map((s) => s.trim()).filter(Boolean);
    if (get('options')) c.options = json('options');
    if (get('events')) c.events = json('events');
    if (current.sections.has('cancelled')) c.cancelled = get('cancelled') ?? '';
    out.push(c);
  };
  lines.forEach((raw, i) => {
    const header = /^=== (.+)$/.exec(raw);
    if (header) {
      flush();
      current = { name: header[1]!.trim(), line: i + 1, sections: new Map() };
      section = undefined;
      return;
    }
    const sec = /^--- (\w+)\s*$/.exec(raw);
    if (sec && current) {
      if (!SECTIONS.has(sec[1]!)) throw new Error(`${file}:${i + 1}: unknown section '${sec[1]}'`);
      section = [];
      current.sections.set(sec[1]!, section);
      return;
    }
    if (section) section.push(raw);
  });
  flush();
  return out;
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.code} ${d.span.line}:${d.span.col}${d.severity === 'warning' ? ' warning' : ''}`;
}

export function compileCase(c: Case): { program?: Program; diagnostics: Diagnostic[] } {
  return compile(c.source, `${c.name}.workflow`);
}

const EPOCH = Date.UTC(2026, 0, 1, 0, 0, 0);

function options(c: Case, clock: { t: number }): ExecOptions {
  let n = 0;
  return {
    now: () => new Date(EPOCH + clock.t),
    uuid: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
    ...c.options,
  };
}

function ms(d: string | number): number {
  const v = parseDuration(d);
  if (typeof v !== 'number') throw new Error(`bad duration in a case: ${JSON.stringify(d)}`);
  return v;
}

/** An event due at virtual time `at`; `n` orders ties (the order they were made). */
interface Due {
  at: number;
  n: number;
  event: WorkflowEvent;
}

/** Runs a compiled case to its end with the scripted world. */
export function runCase(c: Case, program: Program, { roundTrip }: { roundTrip: boolean }): Outcome {
  const scripts = new Map(Object.entries(c.tasks).map(([k, v]) => [k, [...v]]));
  const calls: string[] = [];
  const logs: string[] = [];
  const commands: Command[] = [];
  const clock = { t: 0 };
  const opts = options(c, clock);
  let made = 0;
  const queue: Due[] = [];
  const push = (at: number, event: WorkflowEvent, front = false) => queue.push({ at, n: front ? -++made : ++made, event });
  for (const e of c.events ?? []) {
    push(ms(e.at), 'signal' in e ? { type: 'signal', name: e.signal, payload: e.payload ?? null } : { type: 'cancel', ...(e.cancel === null ? {} : { reason: e.cancel }) });
  }
  let activation: Activation = start(program, structuredClone(c.input), opts);
  for (let guard = 0; guard < 100_000; guard++) {
    commands.push(...activation.commands);
    let wave: Due[] = [];
    for (const cmd of activation.commands) {
      switch (cmd.type) {
        case 'complete':
          return { status: 'completed', result: cmd.result, calls, logs, commands };
        case 'fail':
          return {
            status: 'failed',
            error: `${cmd.error.code} ${cmd.error.line ?? '?'}:${cmd.error.col ?? '?'}`,
            errorMessage: cmd.error.message,
            calls,
            logs,
            commands,
          };
        case 'cancelled': {
          const out: Outcome = { status: 'cancelled', error: `${cmd.error.code} ${cmd.error.line ?? '?'}:${cmd.error.col ?? '?'}`, errorMessage: cmd.error.message, calls, logs, commands };
          if (cmd.result !== undefined) out.result = cmd.result;
          return out;
        }
        case 'scheduleTask': {
          calls.push(`${cmd.task}(${cmd.args.map((a) => JSON.stringify(a)).join(', ')})`);
          let next = scripts.get(cmd.task)?.shift();
          if (next === undefined) {
            throw new Error(`${c.file}:${c.line} (${c.name}): no scripted result left for task ${cmd.task}`);
          }
          let delay = 0;
          if (next !== null && typeof next === 'object' && !Array.isArray(next) && '$after' in next) {
            delay = ms(next.$after as string);
            const { $after: _, ...rest } = next;
            next = '$value' in rest ? rest.$value! : rest;
          }
          let event: WorkflowEvent;
          if (next !== null && typeof next === 'object' && !Array.isArray(next) && '$fail' in next) {
            const failure: TaskFailure = { message: String(next.$fail), attempts: 3 };
            if (typeof next.$type === 'string') failure.type = next.$type;
            event = { type: 'taskFailed', id: cmd.id, failure };
          } else {
            event = { type: 'taskCompleted', id: cmd.id, result: next };
          }
          wave.push({ at: clock.t + delay, n: ++made, event });
          break;
        }
        case 'startChild': {
          // a child workflow answers like a task, scripted under `workflows.<name>` ($fail: its
          // failure, $type: its error code, default CR007); a detached one is only recorded
          const what = `workflows.${cmd.workflow}`;
          calls.push(`${what}(${JSON.stringify(cmd.input)})${cmd.detached ? ' detached' : ''}`);
          if (cmd.detached) break;
          let next = scripts.get(what)?.shift();
          if (next === undefined) throw new Error(`${c.file}:${c.line} (${c.name}): no scripted result left for ${what}`);
          let delay = 0;
          if (next !== null && typeof next === 'object' && !Array.isArray(next) && '$after' in next) {
            delay = ms(next.$after as string);
            const { $after: _, ...rest } = next;
            next = '$value' in rest ? rest.$value! : rest;
          }
          const event: WorkflowEvent =
            next !== null && typeof next === 'object' && !Array.isArray(next) && '$fail' in next
              ? { type: 'childFailed', id: cmd.id, failure: { status: 'failed', code: typeof next.$type === 'string' ? next.$type : 'CR007', message: String(next.$fail) } }
              : { type: 'childCompleted', id: cmd.id, result: next };
          wave.push({ at: clock.t + delay, n: ++made, event });
          break;
        }
        case 'startTimer':
          wave.push({ at: clock.t + cmd.durationMs, n: ++made, event: { type: 'timerFired', id: cmd.id } });
          break;
        case 'waitForSignal': {
          // a scripted signal answers each wait for its name at once (before anything else due now)
          const name = (cmd.names ?? [cmd.name]).find((x) => Object.hasOwn(c.signals, x));
          if (name !== undefined) push(clock.t, { type: 'signal', name, payload: c.signals[name]! }, true);
          break;
        }
        case 'cancelTimer': {
          for (const list of [queue, wave]) {
            const i = list.findIndex((d) => d.event.type === 'timerFired' && d.event.id === cmd.id);
            if (i >= 0) list.splice(i, 1);
          }
          break;
        }
        case 'log':
          logs.push(`${cmd.level} ${cmd.at.line}:${cmd.at.col} ${cmd.message}`.trim());
          break;
      }
    }
    if (c.order === 'reverse') {
      const ns = wave.map((d) => d.n).reverse();
      wave = wave.map((d, i) => ({ ...d, n: ns[i]! }));
    }
    queue.push(...wave);
    queue.sort((a, b) => a.at - b.at || a.n - b.n);
    const due = queue.shift();
    if (!due) return { status: 'stuck', calls, logs, commands };
    clock.t = Math.max(clock.t, due.at);
    const state = roundTrip ? JSON.parse(JSON.stringify(activation.state)) : activation.state;
    const next = resume(program, state, due.event, opts);
    if (next.ignored) {
      // an event for something no longer awaited (a race's loser, a dropped handle): the state is unchanged
      activation = { ...activation, commands: [] };
      continue;
    }
    activation = next;
  }
  throw new Error(`${c.file}:${c.line} (${c.name}): did not finish`);
}
