/**
 * Reads `*.cases` files and drives one case through the interpreter with scripted task results.
 *
 *   const cases = loadCases(dir);           // [{ file, name, source, input, tasks, … }]
 *   const outcome = runCase(c, { roundTrip: true });
 *   // => { status: 'completed', result: 7, calls: ['inc(1)'], commands: [...] }
 *
 * Timers fire at once; signals come from the case's `signals`; each scheduled task takes the next
 * scripted result for its name. With `roundTrip`, the state goes through JSON at every await.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  compile,
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
}

export interface Outcome {
  status: 'completed' | 'failed' | 'stuck';
  result?: Value;
  error?: string;
  errorMessage?: string;
  calls: string[];
  /** The `log` commands as `level line:col message`. */
  logs: string[];
  commands: Command[];
}

const SECTIONS = new Set(['source', 'input', 'tasks', 'signals', 'order', 'result', 'error', 'diagnostics', 'calls', 'logs', 'options']);

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

function options(c: Case): ExecOptions {
  let n = 0;
  return {
    now: () => new Date(Date.UTC(2026, 0, 1, 0, 0, 0)),
    uuid: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
    ...c.options,
  };
}

/** Runs a compiled case to its end with the scripted world. */
export function runCase(c: Case, program: Program, { roundTrip }: { roundTrip: boolean }): Outcome {
  const scripts = new Map(Object.entries(c.tasks).map(([k, v]) => [k, [...v]]));
  const calls: string[] = [];
  const logs: string[] = [];
  const commands: Command[] = [];
  const opts = options(c);
  let activation: Activation = start(program, structuredClone(c.input), opts);
  const queue: WorkflowEvent[] = [];
  for (let guard = 0; guard < 100_000; guard++) {
    commands.push(...activation.commands);
    let wave: WorkflowEvent[] = [];
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
        case 'scheduleTask': {
          calls.push(`${cmd.task}(${cmd.args.map((a) => JSON.stringify(a)).join(', ')})`);
          const next = scripts.get(cmd.task)?.shift();
          if (next === undefined) {
            throw new Error(`${c.file}:${c.line} (${c.name}): no scripted result left for task ${cmd.task}`);
          }
          if (next !== null && typeof next === 'object' && !Array.isArray(next) && '$fail' in next) {
            const failure: TaskFailure = { message: String(next.$fail), attempts: 3 };
            if (typeof next.$type === 'string') failure.type = next.$type;
            wave.push({ type: 'taskFailed', id: cmd.id, failure });
          } else {
            wave.push({ type: 'taskCompleted', id: cmd.id, result: next });
          }
          break;
        }
        case 'startTimer':
          // timers fire at once (a signal's timeout is dropped below when the signal is scripted)
          wave.push({ type: 'timerFired', id: cmd.id });
          break;
        case 'waitForSignal':
          if (Object.hasOwn(c.signals, cmd.name)) wave.unshift({ type: 'signal', name: cmd.name, payload: c.signals[cmd.name]! });
          break;
        case 'cancelTimer':
          break;
        case 'log':
          logs.push(`${cmd.level} ${cmd.at.line}:${cmd.at.col} ${cmd.message}`.trim());
          break;
      }
    }
    // A scripted signal wins over its own timeout, whichever command came first.
    const signalled = new Set(
      activation.commands.flatMap((x) => (x.type === 'waitForSignal' && Object.hasOwn(c.signals, x.name) ? [`${x.id}:timeout`] : [])),
    );
    wave = wave.filter((e) => !(e.type === 'timerFired' && signalled.has(e.id)));
    if (c.order === 'reverse') wave.reverse();
    queue.push(...wave);
    const event = queue.shift();
    if (!event) return { status: 'stuck', calls, logs, commands };
    const state = roundTrip ? JSON.parse(JSON.stringify(activation.state)) : activation.state;
    const next = resume(program, state, event, opts);
    if (next.ignored) {
      // an event for something no longer awaited (e.g. a cancelled timer): the state is unchanged
      activation = { ...activation, commands: [] };
      continue;
    }
    activation = next;
  }
  throw new Error(`${c.file}:${c.line} (${c.name}): did not finish`);
}
