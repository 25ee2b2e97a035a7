/**
 * Tasks for examples/quorum: an approver answers after a delay set by their name — `yes-200`
 * says yes after 200 ms, `no-50` no after 50 ms, `away` never answers in time (10 s).
 *
 *   await askApprover('yes-200', 'r1')   // => true after 200 ms
 */
const work = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function askApprover(who: string, request: string) {
  const [vote, ms] = who.split('-');
  await work(who === 'away' ? 10_000 : Number(ms));
  console.error(`${who} answered ${vote} for ${request}`);
  return vote === 'yes';
}
