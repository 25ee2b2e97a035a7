import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, readConfig } from '../../functions/wiring.ts';
import { indexWorkflows, readWorkflowSources } from '../../functions/workflows.ts';
import { DefinitionError } from '../../runtime/index.ts';

describe('readConfig', () => {
  const env = { CURRANT_TABLE_NAME: 't', CURRANT_EVENT_QUEUE_URL: 'https://q/e', CURRANT_RESULT_QUEUE_URL: 'https://q/r', CURRANT_TASK_QUEUE_URLS: '{"chargeCard":"https://q/c"}' };

  it('reads the names functions/README.md documents', () => {
    expect(readConfig(env)).toEqual({ table: 't', eventQueueUrl: 'https://q/e', resultQueueUrl: 'https://q/r', taskQueueUrls: { chargeCard: 'https://q/c' }, metrics: false, reconcileGraceMs: 300_000 });
    expect(readConfig({ ...env, CURRANT_METRICS: '1' }).metrics).toBe(true);
    expect(readConfig({ ...env, CURRANT_RECONCILE_GRACE_SECONDS: '2' }).reconcileGraceMs).toBe(2000);
    expect(() => readConfig({ ...env, CURRANT_RECONCILE_GRACE_SECONDS: '-1' })).toThrow(/whole number of seconds/);
    expect(readConfig({ ...env, CURRANT_TASK_QUEUE_URLS: undefined }).taskQueueUrls).toEqual({});
  });

  it('lists every problem at once', () => {
    try {
      readConfig({ CURRANT_TASK_QUEUE_URLS: '["x"]' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).problems).toEqual([
        'CURRANT_TABLE_NAME is not set',
        'CURRANT_EVENT_QUEUE_URL is not set',
        'CURRANT_RESULT_QUEUE_URL is not set',
        'CURRANT_TASK_QUEUE_URLS must be a JSON object of task name → queue URL',
      ]);
    }
    expect(() => readConfig({ ...env, CURRANT_TASK_QUEUE_URLS: '{' })).toThrow(/not valid JSON/);
  });
});

describe('deployed workflows', () => {
  const dir = mkdtempSync(join(tmpdir(), 'currant-wf-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const order = readFileSync(new URL('../../examples/order/order.workflow', import.meta.url), 'utf8');

  it('reads a folder (relative to LAMBDA_TASK_ROOT) or the JSON form', () => {
    writeFileSync(join(dir, 'order.workflow'), order);
    writeFileSync(join(dir, 'notes.txt'), 'ignored');
    expect(readWorkflowSources({ CURRANT_WORKFLOWS_DIR: '.', LAMBDA_TASK_ROOT: dir })).toEqual([{ file: 'order.workflow', source: order }]);
    expect(readWorkflowSources({ CURRANT_WORKFLOWS_JSON: JSON.stringify([{ file: 'a.workflow', source: 'x' }]) })).toEqual([{ file: 'a.workflow', source: 'x' }]);
    expect(() => readWorkflowSources({ CURRANT_WORKFLOWS_JSON: '{"file":1}' })).toThrow(/JSON array/);
    expect(() => readWorkflowSources({})).toThrow(/neither/);
  });

  it('indexes by workflow name and refuses broken or duplicate definitions', () => {
    expect([...indexWorkflows([{ file: 'order.workflow', source: order }]).keys()]).toEqual(['processOrder']);
    expect(() => indexWorkflows([{ file: 'bad.workflow', source: 'workflow w( {' }])).toThrow(DefinitionError);
    expect(() => indexWorkflows([{ file: 'a.workflow', source: order }, { file: 'b.workflow', source: order }])).toThrow(/defined twice/);
  });
});
