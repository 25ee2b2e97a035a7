/**
 * Live progress for `run` and `worker`: what is running, for how long, and for a fan-out how many
 * of how many are done — between the step lines, which only appear when something finishes.
 *
 * Takes each instance as it changes (`update`) and the step lines to print (`line`); gives, on a
 * terminal, one status line under the steps, redrawn in place every 100ms; elsewhere (a pipe, a
 * log file) a plain, timestamped `progress:` line per busy instance every `plainEveryMs` (10 s),
 * only while its steps are quiet.
 *
 *   const p = new Progress(output(process.stdout));
 *   p.update(instance);          // after every transition (the engine's onStep)
 *   p.line(formatStep(step, o)); // step lines go through it, so the status line stays below them
 *   p.start(); … p.stop();
 *
 *   ⠹ processItem ×3 running, longest 2.4s · 5 of 8 done      (terminal)
 *   21:45:11.002 progress: processItem ×3 running, longest 12.4s · 5 of 8 done   (plain)
 */
import { waitingFor } from '../dsl/index.ts';
import { isFinal, type Instance } from '../runtime/index.ts';
import type { Output } from './io.ts';
import { formatMs, oneLine } from './render.ts';

/**
 * How often plain progress lines may come (ms): `$CURRANT_PROGRESS_EVERY_MS`, default 10 000.
 * (A terminal redraws its status line every 100ms regardless.)
 */
export function progressEveryMs(): number {
  const v = Number(process.env.CURRANT_PROGRESS_EVERY_MS);
  return Number.isFinite(v) && v >= 50 ? v : 10_000;
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * One line saying what an instance is doing now, or undefined when it is finished. Pure: the
 * instance and the time are all it reads.
 *
 *   describeProgress(i, now) // 'chargeCard running 3.2s (line 10)'
 *                            // 'processItem ×3 running, longest 4.1s · 5 of 8 done'
 *                            // 'waiting for signal "approval" 12s'   'sleeping, 4m 10s left'
 */
export function describeProgress(i: Instance, nowMs: number): string | undefined {
  if (isFinal(i.status)) return undefined;
  const parts: string[] = [];
  const since = (iso: string) => formatMs(Math.max(0, nowMs - Date.parse(iso)));

  const running = Object.values(i.tasks).filter((t) => t.retryAt === undefined);
  const byTask = new Map<string, typeof running>();
  for (const t of running) byTask.set(t.task, [...(byTask.get(t.task) ?? []), t]);
  for (const [task, list] of byTask) {
    if (list.length === 1) {
      const t = list[0]!;
      parts.push(`${task} running ${since(t.sentAt)} (line ${t.at.line}${t.attempt > 1 ? `, attempt ${t.attempt}` : ''})`);
    } else {
      const oldest = list.reduce((a, b) => (Date.parse(a.sentAt) <= Date.parse(b.sentAt) ? a : b));
      parts.push(`${task} ×${list.length} running, longest ${since(oldest.sentAt)}`);
    }
  }
  for (const t of Object.values(i.tasks)) {
    if (t.retryAt !== undefined) parts.push(`${t.task} retry in ${formatMs(Math.max(0, Date.parse(t.retryAt) - nowMs))}`);
  }

  const waiting = waitingFor(i.state);
  if (waiting?.kind === 'all') parts.push(`${waiting.done} of ${waiting.total} done`);
  if (waiting?.kind === 'sleep') {
    const sleep = Object.values(i.timers).find((t) => t.purpose === 'sleep');
    if (sleep) parts.push(`sleeping, ${formatMs(Math.max(0, Date.parse(sleep.fireAt) - nowMs))} left`);
  }
  if (waiting?.kind === 'signal') {
    const began = [...i.steps].reverse().find((s) => s.kind === 'signal' && s.outcome.includes(`"${waiting.name}"`));
    parts.push(`waiting for signal "${waiting.name}" ${since(began?.at ?? i.updatedAt)}`);
  }
  return parts.length > 0 ? oneLine(parts.join(' · ')) : undefined;
}

export interface ProgressOptions {
  /** Show instance ids (the worker runs many). */
  withIds?: boolean;
  /** Plain mode: how often a busy, quiet instance gets a progress line (default 10 s). */
  plainEveryMs?: number;
  /** Terminal mode: how often the status line is redrawn (default 100ms). */
  frameMs?: number;
  now?: () => number;
  /** Terminal width (default: the stream's columns, else 100). */
  columns?: () => number;
}

export class Progress {
  private readonly instances = new Map<string, Instance>();
  /** When each instance last printed a line (a step or a progress line). */
  private readonly lastLine = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private frame = 0;
  private shown = false;
  private readonly now: () => number;

  constructor(
    private readonly out: Output,
    private readonly opts: ProgressOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
  }

  /** The instance as it is now (final instances are dropped). */
  update(i: Instance): void {
    if (isFinal(i.status)) this.instances.delete(i.id);
    else this.instances.set(i.id, i);
  }

  /** Prints a line (a step) for an instance; on a terminal the status line is redrawn below it. */
  line(text: string, instanceId?: string): void {
    if (instanceId !== undefined) this.lastLine.set(instanceId, this.now());
    if (this.out.tty) {
      this.clear();
      this.out.line(text);
      this.draw();
    } else this.out.line(text);
  }

  start(): void {
    if (this.timer) return;
    const every = this.out.tty ? (this.opts.frameMs ?? 100) : (this.opts.plainEveryMs ?? 10_000);
    this.timer = setInterval(() => this.tick(), every);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.out.tty) this.clear();
  }

  /** One beat of the clock (exposed for tests): redraw, or print the plain lines that are due. */
  tick(): void {
    if (this.out.tty) {
      this.frame++;
      this.draw();
      return;
    }
    const now = this.now();
    const every = this.opts.plainEveryMs ?? 10_000;
    for (const i of this.instances.values()) {
      // Quiet for a whole period and still busy: say what it is doing.
      if (now - (this.lastLine.get(i.id) ?? Date.parse(i.updatedAt)) < every) continue;
      const what = describeProgress(i, now);
      if (!what) continue;
      this.lastLine.set(i.id, now);
      this.out.line(`${clock(now)} ${this.opts.withIds ? `${i.id} ` : ''}progress: ${what}`);
    }
  }

  /** The status line's text (terminal mode), or '' when nothing runs. */
  status(): string {
    const now = this.now();
    const all = [...this.instances.values()].map((i) => [i.id, describeProgress(i, now)] as const).filter(([, d]) => d);
    if (all.length === 0) return '';
    const shown = all.slice(0, 3).map(([id, d]) => (this.opts.withIds ? `${id}: ${d}` : d!));
    const more = all.length > 3 ? ` (+${all.length - 3} more)` : '';
    return `${SPINNER[this.frame % SPINNER.length]} ${shown.join(' | ')}${more}`;
  }

  private draw(): void {
    const text = this.status();
    if (!text) {
      this.clear();
      return;
    }
    const width = Math.max(20, (this.opts.columns?.() ?? (process.stdout.columns || 100)) - 1);
    const cut = [...text].length > width ? `${[...text].slice(0, width - 1).join('')}…` : text;
    this.out.write(`\r\x1b[2K${this.out.c.dim(cut)}`);
    this.shown = true;
  }

  private clear(): void {
    if (!this.shown) return;
    this.out.write('\r\x1b[2K');
    this.shown = false;
  }
}

function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 23);
}
