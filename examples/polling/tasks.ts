/**
 * Tasks for examples/polling: a simulated batch job that reports done on its third check
 * (counted per job id in this process).
 *
 *   const id = await startJob('report') // => 'job-report'
 *   await checkJob(id)                   // => { done: false, progress: 33 }, then 66, then done
 */
const checks = new Map<string, number>();
const CHECKS_UNTIL_DONE = 3;

export async function startJob(name: string) {
  const id = `job-${name}`;
  checks.set(id, 0);
  return id;
}

export async function checkJob(jobId: string) {
  const n = (checks.get(jobId) ?? 0) + 1;
  checks.set(jobId, n);
  const done = n >= CHECKS_UNTIL_DONE;
  return { done, progress: done ? 100 : Math.round((100 * n) / CHECKS_UNTIL_DONE) };
}

export async function fetchResult(jobId: string) {
  return `${jobId}: 3 pages, 42 rows`;
}
