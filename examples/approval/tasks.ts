/**
 * Tasks for examples/approval: asking someone and telling the requester the outcome (simulated).
 *
 *   await requestApproval('req-1', 250, ctx) // logs the request (and how to answer) on stderr, gives null
 */
const work = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// The runtime passes a context after the task's own arguments (instance id, attempt, …).
export async function requestApproval(requestId: string, amount: number, ctx: { instanceId: string }) {
  await work(20);
  console.error(`approval requested for ${requestId} (${amount}); answer with: currant signal ${ctx.instanceId} approval '{"approved": true, "by": "ana"}'`);
  return null;
}

export async function notifyRequester(requestId: string, outcome: string) {
  await work(20);
  console.error(`${requestId}: ${outcome}`);
  return null;
}
