/**
 * The load benchmark's CDK app (`npm run bench:load` deploys it to the emulator): the engine over a
 * generated folder of workflows (the examples the mix uses plus retrying.workflow) and one Node
 * task function serving every task through a generated module whose functions are `counted`.
 *
 * Context: `currant:loadDir` — the folder `infra-test/load.ts` generated (`workflows/`, `tasks.ts`);
 * `currant:countFile` — where the task function appends one line per execution.
 *
 *   npx cdklocal deploy CurrantLoad --app "npx tsx infra-test/load/app.ts" -c currant:loadDir=… -c currant:countFile=…
 */
import { App, CfnOutput, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { join } from 'node:path';
import { CurrantEngine } from '../../cdk/engine.ts';
import { nodeTaskNames } from '../../cdk/examples.ts';
import { NodeTasksFunction } from '../../cdk/functions.ts';

const app = new App();
const dir = String(app.node.tryGetContext('currant:loadDir') ?? '');
const countFile = String(app.node.tryGetContext('currant:countFile') ?? '');
if (!dir || !countFile) throw new Error('the load app needs -c currant:loadDir=<dir> -c currant:countFile=<file>');

const stack = new Stack(app, 'CurrantLoad', { description: 'currant: the load benchmark (emulator only)' });
const engine = new CurrantEngine(stack, 'Engine', {
  workflows: join(dir, 'workflows'),
  removalPolicy: RemovalPolicy.DESTROY,
  environment: { CURRANT_METRICS: '1' },
  // Tens of thousands of trivial tasks: ten per invocation, and more invocations at once than the
  // emulator's default of five per queue (on AWS, Lambda would scale out by itself).
  taskBatchSize: 10,
  taskMaxConcurrency: 20,
});
const tasksModule = join(dir, 'tasks.ts');
const fn = new NodeTasksFunction(stack, 'Tasks', { tasksModule, environment: { CURRANT_COUNT_FILE: countFile } });
for (const name of await nodeTaskNames(tasksModule)) engine.addTask(name, fn);

const outputs: Record<string, string> = {
  ApiId: engine.api.restApiId,
  ApiStage: engine.api.deploymentStage.stageName,
  TableName: engine.table.tableName,
  EventQueueUrl: engine.eventQueue.queueUrl,
  EventDlqUrl: engine.eventDlq.queueUrl,
  ResultQueueUrl: engine.resultQueue.queueUrl,
  ResultDlqUrl: engine.resultDlq.queueUrl,
};
for (const [key, value] of Object.entries(outputs)) new CfnOutput(stack, key, { value });
