/**
 * The CDK app: currant's engine (a DynamoDB table, SQS queues, the step, API and reconciler
 * Lambdas, a REST API, their log groups, alarms and a dashboard) running the workflows in
 * workflows/, and one Lambda serving every task that tasks/index.ts exports. To route the alarms:
 * `observability: { alarms: { action: new SnsAction(topic) } }` in the engine's props.
 *
 *   npx cdk deploy                                        # AWS (IAM-authorized API)
 *   npx cdklocal deploy -c currant:iamAuth=false          # a local emulator (LocalStack, MiniStack)
 */
import { App, CfnOutput, Stack } from 'aws-cdk-lib';
import { CurrantEngine, NodeTasksFunction, nodeTaskNames } from 'currant/cdk';

const app = new App();
const stack = new Stack(app, '{{stack}}');

// Every .workflow under workflows/ is checked here: a workflow that does not check fails synth.
const engine = new CurrantEngine(stack, 'Engine', {
  workflows: 'workflows',
  iamAuth: String(app.node.tryGetContext('currant:iamAuth')) !== 'false',
});
const tasks = new NodeTasksFunction(stack, 'Tasks', { tasksModule: 'tasks/index.ts' });
for (const name of await nodeTaskNames('tasks/index.ts')) engine.addTask(name, tasks);

new CfnOutput(stack, 'ApiUrl', { value: engine.api.url });
new CfnOutput(stack, 'ApiId', { value: engine.api.restApiId });
new CfnOutput(stack, 'ApiStage', { value: engine.api.deploymentStage.stageName });
