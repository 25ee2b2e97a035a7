/**
 * How the CLI shows instances and steps: one line per step (coloured with symbols on a terminal,
 * plain and timestamped otherwise), the final instance as text or as one JSON object, and the
 * status view.
 *
 *   formatStep(step, out)   // '✔ task chargeCard  line 10  ok  52ms'   (terminal)
 *                           // '21:45:01.123 task chargeCard line 10: ok (52ms)'   (plain)
 *                           // '21:45:01.124 log warn line 12: card expires soon'   (console.warn)
 *   finalJson(instance)     // { id, workflow, status, result?, error? }
 */
import type { Instance, InstanceSummary, StepLog, Value, WorkflowError } from '../runtime/index.ts';
import { childrenOf, instanceView, isFinal, pendingOf } from '../runtime/index.ts';
import { roughDuration, variablesOf } from '../dsl/index.ts';
import type { Output } from './io.ts';

/** The final instance as printed by `run --json`: only the public, stable fields. */
export interface FinalJson {
  id: string;
  workflow: string;
  status: Instance['status'];
  result?: Value;
  error?: WorkflowError;
}

export function finalJson(i: Instance): FinalJson {
  const out: FinalJson = { id: i.id, workflow: i.workflow, status: i.status };
  if (i.result !== undefined) out.result = i.result;
  if (i.error !== undefined) out.error = i.error;
  return out;
}

function clock(iso: string): string {
  return iso.length >= 23 ? iso.slice(11, 23) : iso;
}

function symbol(step: StepLog, o: Output): string {
  const { c } = o;
  const failed = /^failed|timed out|error/.test(step.outcome);
  switch (step.kind) {
    case 'start':
      return c.cyan('▶');
    case 'task':
      return failed ? c.red('✖') : c.green('✔');
    case 'retry':
      return c.yellow('↻');
    case 'sleep':
      return c.blue('◷');
    case 'signal':
      return c.magenta('✉');
    case 'timer':
      return c.blue('⏰');
    case 'complete':
      return c.green(c.bold('✔'));
    case 'fail':
      return c.red(c.bold('✖'));
    case 'cancel':
      return c.yellow(c.bold('■'));
    case 'redrive':
      return c.cyan('↺');
    case 'child':
      return failed || /\b(failed|cancelled|cancelling)\b/.test(step.outcome) ? c.yellow('⑂') : c.cyan('⑂');
    case 'log':
      return step.level === 'error' ? c.red('●') : step.level === 'warn' ? c.yellow('●') : c.dim('●');
  }
}

/** One step as one line. */
export function formatStep(step: StepLog, o: Output): string {
  // a log line: `log line 3: text`, `log warn line 7: text` (console.log and console.info are info)
  const what = step.kind + (step.task ? ` ${step.task}` : '') + (step.kind === 'log' && step.level && step.level !== 'info' ? ` ${step.level}` : '');
  // A task step's attempt matters once there were retries; retry steps say it in their outcome.
  const attempt = step.kind === 'task' && step.attempt !== undefined && step.attempt > 1 ? ` attempt ${step.attempt}` : '';
  const where = step.line !== undefined ? `line ${step.line}${attempt}` : attempt.trim();
  const took = step.durationMs !== undefined ? formatMs(step.durationMs) : '';
  const outcome = oneLine(step.outcome);
  if (o.tty) {
    const { c } = o;
    const parts = [symbol(step, o), c.bold(what)];
    if (where) parts.push(c.dim(where));
    parts.push(outcome);
    if (took) parts.push(c.dim(took));
    return parts.join('  ');
  }
  return `${clock(step.at)} ${what}${where ? ` ${where}` : ''}: ${outcome}${took ? ` (${took})` : ''}`;
}

/** A measured duration for reading: '52ms', '2.35s', '42.1s', '4m 5s', '3h 12m', '4d 15h'. */
export function formatMs(ms: number): string {
  return roughDuration(ms);
}

/**
 * Text from outside (an error message, a logged line) kept on one line: line breaks become ' ⏎ ',
 * other control characters (which could move the cursor or recolour a terminal) are shown as \xNN.
 */
export function oneLine(text: string): string {
  return text
    .replace(/\r\n|\r|\n|\u2028|\u2029/g, ' ⏎ ')
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export function formatError(e: WorkflowError, file?: string): string {
  const where = e.line !== undefined ? ` at ${file ? `${file}:` : 'line '}${e.line}${e.col !== undefined ? `:${e.col}` : ''}` : '';
  return `${e.code} ${oneLine(String(e.message))}${where}`;
}

/** The closing line of `run` (text mode). */
export function formatFinal(i: Instance, o: Output, file?: string): string {
  const { c } = o;
  const head = `${i.workflow} ${i.id}`;
  switch (i.status) {
    case 'completed':
      return `${c.green(c.bold('completed'))} ${head} → ${JSON.stringify(i.result ?? null)}`;
    case 'failed':
      return `${c.red(c.bold('failed'))} ${head}: ${i.error ? formatError(i.error, file) : 'unknown error'}`;
    case 'cancelled':
      return `${c.yellow(c.bold('cancelled'))} ${head}${i.error?.message ? `: ${oneLine(i.error.message)}` : ''}`;
    default:
      return `${c.cyan(i.status)} ${head}`;
  }
}

// ---- status ----------------------------------------------------------------------------------

/** `status --json`: the same view the HTTP API gives, plus the file the workflow came from. */
export function statusJson(i: Instance, file?: string) {
  return { ...(file ? { file } : {}), ...instanceView(i) };
}

export function statusColor(status: string, o: Output): string {
  const { c } = o;
  switch (status) {
    case 'completed':
      return c.green(status);
    case 'failed':
      return c.red(status);
    case 'cancelled':
      return c.yellow(status);
    case 'waiting':
      return c.magenta(status);
    default:
      return c.cyan(status);
  }
}

export function formatStatus(i: Instance, o: Output, file?: string): string {
  const { c } = o;
  const p = pendingOf(i);
  const rows: string[] = [];
  const row = (k: string, v: string) => rows.push(`${c.dim(k.padEnd(9))} ${v}`);
  row('instance', c.bold(i.id));
  row('workflow', `${i.workflow}${file ? ` (${file})` : ''} ${c.dim(i.definitionHash.slice(0, 19))}`);
  row('status', statusColor(i.status, o) + (i.cancelling ? ` ${c.yellow(`cancelling (compensating until ${i.cancelling.until})`)}` : ''));
  if (i.state.at && !isFinal(i.status)) row('at', `line ${i.state.at.line}, col ${i.state.at.col}`);
  if (i.parent) row('parent', `${i.parent.id}${i.parent.handle === undefined ? c.dim(' (started detached)') : ''}`);
  row('input', JSON.stringify(i.input));
  if (i.result !== undefined) row('result', JSON.stringify(i.result));
  if (i.error) row('error', formatError(i.error, file));
  row('started', i.createdAt);
  row('updated', i.updatedAt);
  if (!isFinal(i.status)) {
    const vars = Object.entries(variablesOf(i.state));
    if (vars.length > 0) {
      rows.push(c.bold('variables'));
      for (const [k, x] of vars) {
        const text = JSON.stringify(x) ?? 'null';
        rows.push(`  ${k} = ${text.length > 120 ? `${text.slice(0, 119)}…` : text}`);
      }
    }
  }
  if (p.tasks.length + p.timers.length + p.signals.length > 0) {
    rows.push(c.bold('pending'));
    for (const t of p.tasks) {
      const state = t.retryAt ? `retry at ${t.retryAt}${t.lastError ? ` after: ${oneLine(t.lastError)}` : ''}` : `in flight since ${t.sentAt}`;
      rows.push(`  task    ${t.task} ${c.dim(t.taskId)} line ${t.line}, attempt ${t.attempt} of ${t.of}, ${state}`);
    }
    for (const t of p.timers) rows.push(`  timer   ${t.purpose} ${c.dim(t.timerId)} fires at ${t.fireAt}`);
    for (const s of p.signals) {
      const names = (s.names ?? [s.name]).map((n) => `"${n}"`).join(' or ');
      rows.push(`  signal  ${names}${s.line !== undefined ? ` line ${s.line}` : ''}, waiting since ${s.since}${s.timeout ? ` (timeout ${s.timeout})` : ''}`);
    }
  }
  const kids = childrenOf(i);
  if (kids.length > 0) {
    rows.push(c.bold('children'));
    for (const k of kids) rows.push(`  ${k.id}  ${k.workflow}  ${statusColor(k.status, o)}  line ${k.line}, started ${k.startedAt}`);
  }
  rows.push(c.bold(`steps${i.steps.length ? '' : ' (none)'}`));
  const plain: Output = { ...o, tty: false };
  for (const s of i.steps) rows.push(`  ${formatStep(s, plain)}`);
  return rows.join('\n');
}

export function formatSummaryRow(s: InstanceSummary, o: Output, widths: { id: number; workflow: number }): string {
  const status = statusColor(s.status.padEnd(9), o);
  const extra = s.error ? `${s.error.code} ${oneLine(s.error.message)}` : s.result !== undefined ? JSON.stringify(s.result) : s.at ? `at line ${s.at.line}` : '';
  const short = extra.length > 60 ? extra.slice(0, 59) + '…' : extra;
  const parent = s.parent ? `  ${o.c.dim(`(child of ${s.parent})`)}` : '';
  return `${s.id.padEnd(widths.id)}  ${s.workflow.padEnd(widths.workflow)}  ${status}  ${s.updatedAt}  ${o.c.dim(short)}${parent}`;
}
