/**
 * Tasks for examples/polling: a simulated batch job that reports done on its third check.
 *
 *   const id = await startJob('report') // => 'job-report'
 *   await checkJob(id, 1)                // => { done: false, progress: 33 }; (id, 2) → 66; (id, 3) → done
 *
 * The workflow passes the poll number, so the simulation keeps no state of its own: it gives the
 * same answers whichever process (or Lambda worker) runs a check, and when a check runs twice
 * (tasks run at least once).
 */
const CHECKS_UNTIL_DONE = 3;

export async function startJob(name: string) {
  return `job-${name}`;
}

export async function checkJob(jobId: string, poll: number) {
  const done = poll >= CHECKS_UNTIL_DONE;
  return { done, progress: done ? 100 : Math.round((100 * poll) / CHECKS_UNTIL_DONE) };
}

export async function fetchResult(jobId: string) {
  return `${jobId}: 3 pages, 42 rows`;
}
