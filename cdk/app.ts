/**
 * The one CDK entry file (`cdk.json`: `npx tsx cdk/app.ts`). It only builds the app: the
 * `CurrantExamples` stack (cdk/examples.ts) with every example under `examples/`.
 *
 * Context: `currant:iamAuth=false` turns IAM authorization off (local tests);
 * `currant:metrics=1` makes the step function log per-record AWS call counts (benchmark);
 * `currant:reconcileGraceSeconds=<n>` sets the reconciler's grace (default 300; tests use a few);
 * `currant:everyMinuteSchedule=1` also starts the digest example every minute (the emulator tests).
 *
 *   npx cdk deploy CurrantExamples        # real AWS
 *   npx cdklocal deploy CurrantExamples   # the emulator (infra-test/README.md)
 */
import { App, Duration } from 'aws-cdk-lib';
import { discoverExamples, ExamplesStack } from './examples.ts';

const app = new App();
new ExamplesStack(app, 'CurrantExamples', {
  examples: await discoverExamples('examples'),
  iamAuth: String(app.node.tryGetContext('currant:iamAuth')) !== 'false',
  metrics: String(app.node.tryGetContext('currant:metrics')) === '1',
  reconcileGrace: graceFromContext(app.node.tryGetContext('currant:reconcileGraceSeconds')),
  everyMinuteSchedule: String(app.node.tryGetContext('currant:everyMinuteSchedule')) === '1',
});

function graceFromContext(v: unknown): Duration | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`currant:reconcileGraceSeconds must be a whole number of seconds, got '${String(v)}'`);
  return Duration.seconds(n);
}
