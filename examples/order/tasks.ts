/**
 * Tasks for examples/order: a simulated payment provider and warehouse.
 *
 * Deterministic by order id: an order id starting with `backorder-` cannot ship (the refund path),
 * an amount above 1000 is declined (the payment-failed path). Every other order ships.
 *
 *   await shipOrder('o-1001')       // => { success: true, trackingId: 'TRK-o-1001' }
 *   await shipOrder('backorder-7')  // => { success: false }
 */
const work = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function chargeCard(orderId: string, amount: number) {
  await work(50);
  if (amount > 1000) return { success: false, error: `card declined for ${amount}` };
  return { success: true, paymentId: `pay-${orderId}` };
}

export async function shipOrder(orderId: string) {
  await work(50);
  if (orderId.startsWith('backorder-')) return { success: false };
  return { success: true, trackingId: `TRK-${orderId}` };
}

export async function refundOrder(orderId: string, paymentId: string) {
  await work(50);
  console.error(`refunded ${paymentId} for ${orderId}`);
  return null;
}
