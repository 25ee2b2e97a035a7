/**
 * `currant/cdk`: currant on AWS as CDK constructs, for your own CDK app.
 *
 *   import { CurrantEngine, NodeTasksFunction, nodeTaskNames } from 'currant/cdk';
 *
 *   const engine = new CurrantEngine(stack, 'Engine', { workflows: 'workflows' }); // checked at synth
 *   const tasks = new NodeTasksFunction(stack, 'Tasks', { tasksModule: 'tasks/index.ts' });
 *   for (const name of await nodeTaskNames('tasks/index.ts')) engine.addTask(name, tasks);
 *
 * Relative paths are resolved against your project (the current directory, where cdk.json is).
 * Logs, metrics, alarms and the dashboard: `observability` in the props (`ObservabilityProps`),
 * `engine.observability` after (`EngineObservability`, e.g. `.metric(…)` for your own alarms).
 * The engine's own Lambdas (step, api, reconcile, schedule) come pre-built with the package; your task
 * modules are bundled from your project by CDK's NodejsFunction (esbuild must be installed there).
 * Everything about the construct: cdk/README.md.
 */
export {
  CurrantEngine,
  COMPILING_FUNCTION_MB,
  loadWorkflows,
  usedTasks,
  WORKFLOWS_BUNDLE_DIR,
  type CheckedWorkflow,
  type CurrantEngineProps,
  type TaskQueue,
} from './engine.ts';
export {
  CurrantNodeFunction,
  NodeTasksFunction,
  PrebuiltNodeFunction,
  PythonTasksFunction,
  TASK_FUNCTION_TIMEOUT,
  type CurrantNodeFunctionProps,
  type NodeTasksFunctionProps,
  type PrebuiltNodeFunctionProps,
  type PythonTasksFunctionProps,
} from './functions.ts';
export {
  EngineObservability,
  type AlarmsOptions,
  type EngineFunctionId,
  type EngineParts,
  type LogLevel,
  type LogsOptions,
  type ObservabilityProps,
} from './observability.ts';
export { ENGINE_METRICS, METRIC_NAMESPACE, WORKFLOW_METRICS, type EngineMetric, type WorkflowMetric } from '../functions/metric-names.ts';
export { nodeTaskNames, pythonTaskNames } from './examples.ts';
