/**
 * Tasks for examples/flaky: a quote service that fails the first two calls for each symbol
 * (counted in this process), then answers. Declared `with { retries: 3, backoff: "100ms" }`,
 * so the workflow succeeds on the third attempt.
 *
 *   await fetchQuote('ACME') // throws, throws, then => { symbol: 'ACME', price: 101.5, attempt: 3 }
 */
const calls = new Map<string, number>();

export async function fetchQuote(symbol: string) {
  const attempt = (calls.get(symbol) ?? 0) + 1;
  calls.set(symbol, attempt);
  await new Promise((resolve) => setTimeout(resolve, 20));
  if (attempt <= 2) {
    const err = new Error(`quote service unavailable (attempt ${attempt})`);
    err.name = 'ServiceUnavailable';
    throw err;
  }
  return { symbol, price: 101.5, attempt };
}
