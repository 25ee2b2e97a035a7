/**
 * The runtime core's public API: types, errors, ports, pure transitions and the shared driver.
 *
 *   import { startWorkflow, advance, ProgramCache, type Store } from '../runtime/index.ts';
 *
 * Adapters (`adapters/embedded`, `adapters/aws`) implement `Store` and `Dispatcher` and call the
 * driver; they never change an instance any other way.
 */
export * from './types.ts';
export * from './errors.ts';
export * from './ports.ts';
export { startInstance, applyEvent, restartExisting, pendingCommands, boundSteps, validateInput, jsonEqual, redriveTransition, redriveRefusal, type CoreOptions } from './core.ts';
export { checkValue, truncateText, LIMITS, MAX_CANCEL_REASON, MAX_ERROR_TEXT, MAX_VALUE_BYTES, MAX_STATE_BYTES, type ValueLimits, type ValueCheck, type ValueRefusal } from './limits.ts';
export { backoffDelay, maxAttempts } from './retry.ts';
export { attemptToken, tokenMatches } from './tokens.ts';
export {
  advance,
  advanceBatch,
  startWorkflow,
  signalInstance,
  cancelInstance,
  redriveInstance,
  ProgramCache,
  type ProgramSource,
  type RuntimeDeps,
  type AdvanceResult,
  type StartOptions,
} from './driver.ts';
export { MemoryStore, RecordingDispatcher } from './memory.ts';
export { startChild, cancelChild, applyChildCommands, type StartChildCommand, type WorkflowLookup } from './children.ts';
export { finishedCommands } from './core.ts';
export { instanceView, pendingOf, childrenOf, type InstanceView, type PendingView, type ChildView } from './view.ts';
