/**
 * Tasks for examples/approval: asking someone and telling the requester the outcome (simulated).
 *
 *   await requestApproval('req-1', 250) // logs the request on stderr, gives null
 */
const work = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function requestApproval(requestId: string, amount: number) {
  await work(20);
  console.error(`approval requested for ${requestId} (${amount}); answer with: currant signal <instance id> approval '{"approved": true, "by": "ana"}'`);
  return null;
}

export async function notifyRequester(requestId: string, outcome: string) {
  await work(20);
  console.error(`${requestId}: ${outcome}`);
  return null;
}
