/**
 * currant/testing on workflows that wait for days: the test clock skips, so the wall time is the
 * interpreter's and the runtime's work only. Each run is timed after a first, untimed one (the
 * grammar and JIT warm-up belong to the first test of a file, not to each).
 *
 *   await benchTesting() // [{ name: 'sleep 30 days', testTime: '30d', ms: 2.1 }, …]
 */
import { formatDuration } from '../dsl/index.ts';
import { returns, testWorkflow } from '../testing/index.ts';

const CASES: { name: string; source: string }[] = [
  {
    name: 'sleep 30 days',
    source: 'task ping(): void\nworkflow w(): string {\n  await ping()\n  await sleep("30d")\n  await ping()\n  return "done"\n}\n',
  },
  {
    name: 'a signal not sent for 2 days (timeout)',
    source: 'workflow w(): boolean {\n  const a = await signal("approve", { timeout: "2d" })\n  return a.timedOut\n}\n',
  },
  {
    name: 'daily poll for a year (365 sleeps)',
    source: 'task ping(): void\nworkflow w(): number {\n  let n = 0\n  while (n < 365) {\n    await sleep("1d")\n    await ping()\n    n++\n  }\n  return n\n}\n',
  },
];

export async function benchTesting(): Promise<{ name: string; testTime: string; ms: number }[]> {
  const rows = [];
  for (const c of CASES) {
    const wf = testWorkflow({ source: c.source }, { tasks: c.source.includes('task ping') ? { ping: returns(null) } : {} });
    await wf.run({});
    const started = performance.now();
    const run = await wf.run({});
    const ms = performance.now() - started;
    if (run.status !== 'completed') throw new Error(`${c.name}: ${run.status}`);
    rows.push({ name: c.name, testTime: formatDuration(run.elapsedMs), ms });
  }
  return rows;
}
