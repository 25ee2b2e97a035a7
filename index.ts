/**
 * `currant`: the embedded engine as a library — workflows on one machine, state in a SQLite file,
 * tasks as functions in this process. The CLI (`currant run`, `worker`, …) is built on this.
 *
 *   import { createEngine, readWorkflow, instanceView } from 'currant';
 *
 *   const engine = await createEngine({ dbPath: '.currant/currant.db', tasksModule: './tasks.ts' });
 *   await engine.resumeAll();                      // continue what was running when the process stopped
 *   const started = await engine.start(readWorkflow('workflows/order.workflow'), { orderId: 'o-1', amount: 42 });
 *   await engine.signal(started.id, 'approve', { by: 'ann' });
 *   const done = await engine.waitFor(started.id); // { status: 'completed', result: … }
 *   instanceView(await engine.get(started.id));    // status, current line, variables, pending work, step log
 *   await engine.list({ status: 'failed' });
 *   await engine.close();
 *
 * Other entry points: `currant/tasks` (the task SDK and Lambda handler), `currant/cdk` (the
 * `CurrantEngine` construct), `currant/testing` (run a workflow in a test, with time skipping).
 * The full engine API is in adapters/embedded/README.md.
 */
export {
  createEngine,
  loadTasksModule,
  readWorkflow,
  NonRetryableError,
  TaskError,
  type Engine,
  type EngineOptions,
  type TaskContext,
  type TaskFn,
  type TaskRegistry,
} from './adapters/embedded/index.ts';
export {
  instanceView,
  isFinal,
  CurrantError,
  DefinitionError,
  InputError,
  InstanceConflictError,
  InstanceNotFoundError,
  SignalRejectedError,
  UnknownWorkflowError,
  VersionConflictError,
  type Instance,
  type InstanceStatus,
  type InstanceSummary,
  type InstanceView,
  type ListFilter,
  type PendingView,
  type StepLog,
  type Value,
  type WorkflowError,
} from './runtime/index.ts';
export { compile, renderDiagnostics, type Compiled, type Diagnostic } from './dsl/index.ts';
