/**
 * Tasks of the child workflows example, one module for the whole deployment (order, charge,
 * review, notify). Cards of orders whose id starts with `stolen` are declined: a permanent failure
 * of type `CardDeclined`.
 */
export async function payOrder(orderId: string, amount: number, ctx: { attempt: number }): Promise<string> {
  if (orderId.startsWith('stolen')) throw Object.assign(new Error(`card declined for ${amount}`), { name: 'CardDeclined', retryable: false });
  return `pay-${orderId}-${ctx.attempt}`;
}

export async function shipParcel(orderId: string): Promise<string> {
  return `track-${orderId}`;
}

export async function sendMail(orderId: string, text: string): Promise<void> {
  console.error(`mail for ${orderId}: ${text}`);
}
