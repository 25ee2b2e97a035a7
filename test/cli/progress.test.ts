/**
 * Live progress for `run` and `worker` (cli/progress.ts): what an instance is doing, from real
 * runtime instances (the core harness, a clock moved by hand), and how it is shown on a terminal
 * (one status line redrawn under the steps) and in a pipe (plain lines while steps are quiet).
 */
import pc from 'picocolors';
import { describe, expect, it } from 'vitest';
import type { Output } from '../../cli/io.ts';
import { describeProgress, Progress } from '../../cli/progress.ts';
import { Harness } from '../runtime/harness.ts';

const FANOUT = `task item(n: number): number
workflow w(ns: number[]): number[] {
  return await Promise.all(ns.map(item), { concurrency: 2 })
}`;

describe('describeProgress', () => {
  it('a fan-out: how many run, the longest, how many of how many are done', async () => {
    const h = new Harness();
    await h.start(FANOUT, { ns: [1, 2, 3, 4] });
    const [first, second] = h.sentTasks();
    expect(describeProgress(await h.load(), h.nowMs + 3_200)).toBe('item ×2 running, longest 3.20s · 0 of 4 done');
    h.nowMs += 1_000;
    await h.complete(first!, 10);
    expect(describeProgress(await h.load(), h.nowMs + 500)).toBe('item ×2 running, longest 1.50s · 1 of 4 done');
    await h.complete(second!, 20);
    await h.drive((_t, [n]) => (n as number) * 10);
    expect(describeProgress(await h.load(), h.nowMs)).toBeUndefined(); // finished: nothing to show
  });

  it('one task, a retry, a sleep and a signal wait', async () => {
    const h = new Harness();
    await h.start(`task t(): number with { retries: 1, backoff: "2s" }
workflow w(): any {
  const x = await t()
  await sleep("10m")
  return await signal("go")
}`, {});
    const [t1] = h.sentTasks();
    expect(describeProgress(await h.load(), h.nowMs + 401_908_027)).toBe('t running 4d 15h (line 3)');
    await h.fail(t1!, { message: 'flaky' });
    expect(describeProgress(await h.load(), h.nowMs + 500)).toBe('t retry in 1.50s');
    const retry = Object.keys((await h.load()).timers)[0]!;
    await h.fire(retry);
    const [t2] = h.sentTasks();
    expect(describeProgress(await h.load(), h.nowMs + 20)).toBe('t running 20ms (line 3, attempt 2)');
    await h.complete(t2!, 1);
    expect(describeProgress(await h.load(), h.nowMs + 250_000)).toBe('sleeping, 5m 50s left');
    const sleep = Object.keys((await h.load()).timers)[0]!;
    await h.fire(sleep);
    expect(describeProgress(await h.load(), h.nowMs + 12_000)).toBe('waiting for signal "go" 12.0s');
  });
});

function fakeOutput(tty: boolean): Output & { text: () => string } {
  let text = '';
  return { tty, c: pc.createColors(false), line: (t = '') => void (text += `${t}\n`), write: (t) => void (text += t), text: () => text };
}

describe('Progress', () => {
  it('plain: a progress line for a busy instance whose steps were quiet for a whole period, none otherwise', async () => {
    const h = new Harness();
    await h.start(FANOUT, { ns: [1, 2, 3] });
    const out = fakeOutput(false);
    let now = h.nowMs;
    const p = new Progress(out, { plainEveryMs: 10_000, now: () => now });
    p.update(await h.load());
    p.line('a step line', 'i-1');
    now += 5_000;
    p.tick();
    expect(out.text()).toBe('a step line\n'); // a step 5 s ago: nothing to add
    now += 6_000;
    p.tick();
    expect(out.text()).toBe('a step line\n00:00:11.000 progress: item ×2 running, longest 11.0s · 0 of 3 done\n');
    now += 1_000;
    p.tick(); // just said it: quiet again until the next period
    expect(out.text().split('\n').filter(Boolean)).toHaveLength(2);
  });

  it('terminal: one status line under the steps, cleared before each step and at the end', async () => {
    const h = new Harness();
    await h.start(FANOUT, { ns: [1, 2, 3] });
    const out = fakeOutput(true);
    let now = h.nowMs + 2_000;
    const p = new Progress(out, { now: () => now, columns: () => 60 });
    p.update(await h.load());
    p.tick();
    expect(out.text()).toBe('\r\x1b[2K⠙ item ×2 running, longest 2.00s · 0 of 3 done');
    p.line('✔ task item ok');
    // cleared, the step printed, the status drawn again below it
    expect(out.text().endsWith('\r\x1b[2K✔ task item ok\n\r\x1b[2K⠙ item ×2 running, longest 2.00s · 0 of 3 done')).toBe(true);
    now += 1_000_000;
    p.tick();
    expect(out.text().endsWith('⠹ item ×2 running, longest 16m 42s · 0 of 3 done')).toBe(true);
    p.stop();
    expect(out.text().endsWith('\r\x1b[2K')).toBe(true);
    // Narrow terminals get the line cut, never wrapped onto a second line.
    const narrow = fakeOutput(true);
    const q = new Progress(narrow, { now: () => now, columns: () => 25 });
    q.update(await h.load());
    q.tick();
    expect(narrow.text()).toBe('\r\x1b[2K⠙ item ×2 running, long…'); // 24 columns: one is kept free
  });
});
