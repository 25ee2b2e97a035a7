/**
 * The embedded default: currant on one machine (SQLite file, in-process tasks and timers).
 *
 *   import { createEngine } from './adapters/embedded/index.ts';
 *   const engine = await createEngine({ dbPath: '.currant/currant.db', tasksModule: './examples/order/tasks.ts' });
 *   await engine.resumeAll();
 *   const done = await engine.run({ source, file: 'order.workflow' }, { orderId: 'o1', amount: 5 });
 */
export { createEngine, type Engine, type EngineOptions } from './engine.ts';
export { SqliteStore, HISTORY_LIMIT, type SqliteStoreOptions, type SqliteListFilter, type HistoryEntry } from './store.ts';
export { InProcessDispatcher, DEFAULT_CONCURRENCY, MAX_CONCURRENCY, type InProcessDispatcherOptions } from './dispatcher.ts';
export { Leases, DEFAULT_LEASE_TTL_MS, type LeaseOptions } from './lease.ts';
export {
  loadTasksModule,
  NonRetryableError,
  TaskError,
  type TaskContext,
  type TaskFn,
  type TaskRegistry,
  type AttemptOutcome,
  type TaskAttemptCommand,
  type TaskProcess,
} from './tasks.ts';
export { readWorkflow } from './workflow-file.ts';
export { loadSchedulesFile, ScheduleRunner, SchedulesFileError, type LoadedSchedule, type FiringOutcome, type ScheduleRunnerOptions } from './schedules.ts';
export { PythonTasks, PythonTasksError, pythonCommand, LOCAL_PROTOCOL, type PythonTasksOptions } from './python.ts';
