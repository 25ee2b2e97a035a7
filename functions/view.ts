/**
 * The JSON the API gives for an instance: the runtime's one instance view (also the CLI's), so the
 * two cannot drift. Kept as a module of its own so the handlers import their view from one place.
 *
 *   instanceView(i) // => { id, workflow, status, at: { line, col }, pending: { tasks, timers, signals }, steps, … }
 */
export { instanceView, pendingOf, type InstanceView, type PendingView } from '../runtime/index.ts';
