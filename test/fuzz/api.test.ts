// Quick slice of the HTTP API fuzz target (fuzz/targets/api.ts); `npm run fuzz` runs it long.
import fc from 'fast-check';
import { describe, it, vi } from 'vitest';
import { apiRequests, apiWorld, checkApi } from '../../fuzz/targets/api.ts';

describe('api fuzz (quick slice)', () => {
  it('answers every request with JSON below 500, and every 4xx with an error code', async () => {
    const world = await apiWorld();
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      await fc.assert(fc.asyncProperty(apiRequests, (r) => checkApi(world, r)), { numRuns: 300 });
    } finally {
      quiet.mockRestore();
    }
  });
});
