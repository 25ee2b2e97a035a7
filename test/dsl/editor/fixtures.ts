/** A workflow touching every kind of name an editor looks up, and a way to point into it. */
export const ORDER = `type Payment = { success: boolean, paymentId?: string, error?: string }
task chargeCard(orderId: string, amount: number): Payment with { retries: 3 }
task shipOrder(orderId: string): { success: boolean, trackingId?: string }

function fee(amount: number, rate?: number): number {
  const r = rate ?? 0.1
  return amount * r
}

workflow processOrder(orderId: string, amount: number, lines: { sku: string, qty: number }[]): string {
  const payment = await chargeCard(orderId, amount + fee(amount))
  if (!payment.success) return \`payment failed: \${payment.error}\`
  const skus = lines.filter((l) => l.qty > 0).map((l) => l.sku.toUpperCase())
  for (const sku of skus) {
    console.log(sku)
  }
  try {
    const shipment = await shipOrder(orderId)
    return shipment.trackingId ?? "none"
  } catch (e) {
    return \`\${e.message} \${skus.length}\`
  }
}
`;

/** The offset of the `nth` occurrence of `needle` in `text`, plus `delta`. */
export function at(text: string, needle: string, delta = 0, nth = 0): number {
  let i = -1;
  for (let k = 0; k <= nth; k++) {
    i = text.indexOf(needle, i + 1);
    if (i < 0) throw new Error(`'${needle}' #${nth} not found`);
  }
  return i + delta;
}
