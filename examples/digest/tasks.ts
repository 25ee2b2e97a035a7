/**
 * Tasks for examples/digest: a count that depends only on the region (so every firing gives the same
 * answer wherever it runs) and a "send" that logs the digest.
 *
 *   await countOpenOrders('eu')        // => 3
 *   await sendDigest('eu', 'eu: 3 open orders')
 */
export async function countOpenOrders(region: string) {
  return region.length + 1;
}

export async function sendDigest(region: string, text: string) {
  console.error(`digest for ${region}: ${text}`);
}
