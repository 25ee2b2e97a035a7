/**
 * The viewer over the embedded database: reads through `SqliteStore` (list, counts, the instance,
 * its step log with versions, the history table) and writes signals, cancels and redrives through
 * the runtime driver like `currant signal/cancel/redrive` do — saved to the database; the process
 * that runs the instances (`currant run` or `currant worker`) carries out what they unblock.
 *
 * Takes the database path; gives a `ViewerBackend`.
 *
 *   const backend = embeddedBackend('.currant/currant.db');
 *   await backend.signal('approval-1', 'approval', { approved: true }, 'ui-key-1');
 */
import { randomUUID } from 'node:crypto';
import { variablesOf } from '../dsl/index.ts';
import { SqliteStore } from '../adapters/embedded/index.ts';
import {
  applyChildCommands,
  ProgramCache,
  type RuntimeDeps,
  cancelInstance,
  InputError,
  InstanceNotFoundError,
  instanceView,
  isFinal,
  pendingOf,
  redriveInstance,
  signalInstance,
  type Instance,
  type Value,
} from '../runtime/index.ts';
import { ApiError, graphOf, type ViewerBackend } from './backend.ts';
import { STATUSES, type InstanceJson, type InstanceList, type Json, type Status } from './types.ts';

export function embeddedBackend(dbPath: string): ViewerBackend {
  const store = new SqliteStore(dbPath);
  // Saved here, run elsewhere: no dispatcher (the work stays in the row, marked as produced by this
  // event, for the running `run`/`worker` to pick up — cli/commands/shared.ts says how).
  const deps: RuntimeDeps = {
    store: store.forDriver(),
    // child workflow commands are applied here too, save-only (cli/commands/shared.ts says why)
    dispatcher: { dispatch: (commands) => applyChildCommands(deps, commands) },
    programs: new ProgramCache(store),
    clock: { now: () => new Date(), uuid: randomUUID },
  };
  const view = (i: Instance): InstanceJson => instanceView(i) as unknown as InstanceJson;
  /** The instance after a write, with its whole step log (the driver's copy has only the new steps). */
  const reload = async (id: string): Promise<InstanceJson> => view((await store.load(id))!);
  const unfinished = async (id: string, what: string): Promise<void> => {
    const i = await store.load(id);
    if (!i) throw new InstanceNotFoundError(id);
    if (isFinal(i.status)) throw new ApiError(409, 'INSTANCE_FINISHED', `instance '${id}' is ${i.status}; ${what}`);
  };
  return {
    async capabilities() {
      return {
        source: dbPath,
        mode: 'embedded',
        counts: true,
        timeFilter: true,
        idPrefix: true,
        history: true,
        historyNote: 'each step keeps the state it saved (the newest 200 versions per instance)',
        workflows: store.workflows(),
      };
    },

    async list(q) {
      if (q.status !== undefined && !STATUSES.includes(q.status)) throw new InputError([`status must be one of ${STATUSES.join(', ')}`]);
      const page = await store.list({
        ...(q.workflow ? { workflow: q.workflow } : {}),
        ...(q.status ? { status: q.status } : {}),
        ...(q.from ? { createdFrom: q.from } : {}),
        ...(q.to ? { createdTo: q.to } : {}),
        ...(q.q ? { idPrefix: q.q } : {}),
        limit: q.limit ?? 25,
        ...(q.cursor ? { cursor: q.cursor } : {}),
      });
      return { ...(page as { items: InstanceList['items']; cursor?: string }), counts: store.counts(q.workflow || undefined) as Partial<Record<Status, number>> };
    },

    async instance(id) {
      const i = await store.load(id);
      if (!i) return undefined;
      const instance = view(i);
      // the step log with the version each step saved, so a step can be opened at its state
      instance.steps = store.stepsWithVersions(id) as InstanceJson['steps'];
      const def = await store.getDefinition(i.definitionHash);
      return {
        instance,
        definition: def ? { hash: def.hash, workflow: def.workflow, file: def.file, source: def.source } : null,
        graph: def ? graphOf(def.source, def.file) : null,
      };
    },

    async version(id, version) {
      const h = store.historyAt(id, version);
      if (!h) return undefined;
      const i = { ...h.instance, steps: [] } as Instance;
      return {
        version: h.version,
        at: h.at,
        status: i.status,
        position: i.state.at ? { line: i.state.at.line, col: i.state.at.col } : null,
        variables: isFinal(i.status) ? null : (variablesOf(i.state) as Record<string, Json>),
        pending: pendingOf(i),
      };
    },

    async signal(id, name, payload, key) {
      await unfinished(id, 'signal not sent');
      await signalInstance(deps, id, name, payload as Value, `signal:${key}`);
      return reload(id);
    },

    async cancel(id, reason) {
      await unfinished(id, 'nothing to cancel');
      await cancelInstance(deps, id, reason ?? 'cancelled from the viewer');
      return reload(id);
    },

    async redrive(id, key) {
      await redriveInstance(deps, id, key);
      return reload(id);
    },

    async close() {
      store.close();
    },
  };
}
