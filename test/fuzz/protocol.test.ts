// Quick slice of the protocol fuzz targets (fuzz/targets/protocol.ts); `npm run fuzz` runs them long.
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { checkEventParser, checkStep, checkTaskParser, eventBodies, stepBodies, stepWorld, taskBodies } from '../../fuzz/targets/protocol.ts';

describe('protocol fuzz (quick slice)', () => {
  it('the event parser answers every body with a message or its problems, on both queues', () => {
    fc.assert(fc.property(eventBodies, fc.constantFrom('results' as const, 'events' as const), (b, source) => checkEventParser(b, source)), { numRuns: 300 });
  });

  it('the task SDK parser answers every body with a message or its problems', () => {
    fc.assert(fc.property(taskBodies, (b) => checkTaskParser(b)), { numRuns: 300 });
  });

  it('the step function never lets anything but a poison error escape, and refused messages change nothing', async () => {
    const world = await stepWorld();
    await fc.assert(fc.asyncProperty(stepBodies(world), (m) => checkStep(world, m)), { numRuns: 200 });
  });
});
