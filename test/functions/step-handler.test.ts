// The step Lambda's middy wiring: partial batch failures in SQS's shape. Only unprocessable
// records are used, so no AWS call is made (the clients are built from a dummy environment).
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { captureLogs } from '../capture-logs.ts';

describe('step handler', () => {
  it('reports exactly the failed records as batchItemFailures', async () => {
    vi.stubEnv('CURRANT_TABLE_NAME', 'currant-test');
    vi.stubEnv('CURRANT_EVENT_QUEUE_URL', 'http://127.0.0.1:9/events');
    vi.stubEnv('CURRANT_RESULT_QUEUE_URL', 'http://127.0.0.1:9/results');
    vi.stubEnv('CURRANT_TASK_QUEUE_URLS', '{}');
    vi.stubEnv('AWS_REGION', 'us-east-1');
    const { handler } = await import('../../functions/step.ts');
    const logged = captureLogs();
    const rec = (messageId: string, body: string) => ({ messageId, body, attributes: { ApproximateReceiveCount: '1' } }) as unknown as SQSRecord;
    const event: SQSEvent = { Records: [rec('m1', 'not json'), rec('m2', JSON.stringify({ type: 'nope', instanceId: 'x' }))] };
    const out = await handler(event, {} as Context);
    expect(out).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }, { itemIdentifier: 'm2' }] });
    logged.restore();
    expect(logged.text()).toMatch(/unprocessable event message/);
    vi.unstubAllEnvs();
  });
});
