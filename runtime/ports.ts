/**
 * The two ports every adapter implements: where instances live (`Store`) and how work leaves the
 * process (`Dispatcher`). The runtime core never does I/O itself; the driver (`driver.ts`) calls these.
 *
 *   const store: Store = new SqliteStore('.currant/currant.db');        // embedded
 *   const store: Store = new DynamoStore(client, table);                // aws
 *
 * Contract notes an adapter must honour:
 * - `save` is conditional: it writes only if the stored version equals `expectedVersion`, else it
 *   throws `VersionConflictError` (the instance passed in already carries `expectedVersion + 1`).
 * - `create` throws `InstanceConflictError` when the id exists (whatever its content).
 * - `putDefinition` is idempotent by hash: definitions never change once stored.
 * - `dispatch` must be safe to call twice with the same commands (consumers de-duplicate by
 *   task id + attempt and by timer id), because the driver resends after crashes and conflicts.
 */
import type { Definition, DispatchCommand, Instance, InstanceSummary, ListFilter } from './types.ts';

export interface Store {
  putDefinition(def: Definition): Promise<void>;
  getDefinition(hash: string): Promise<Definition | undefined>;
  create(instance: Instance): Promise<void>;
  load(id: string): Promise<Instance | undefined>;
  save(instance: Instance, expectedVersion: number): Promise<void>;
  list(filter: ListFilter): Promise<{ items: InstanceSummary[]; cursor?: string }>;
}

export interface Dispatcher {
  /** Carries out commands produced by a transition of `instance` (already saved). */
  dispatch(commands: DispatchCommand[], instance: Instance | undefined): Promise<void>;
}

/** Turns an instance into its list summary (shared by store adapters). */
export function summarize(i: Instance): InstanceSummary {
  const s: InstanceSummary = {
    id: i.id,
    workflow: i.workflow,
    definitionHash: i.definitionHash,
    status: i.status,
    createdAt: i.createdAt,
    updatedAt: i.updatedAt,
  };
  if (i.result !== undefined) s.result = i.result;
  if (i.error !== undefined) s.error = i.error;
  if (i.state.at) s.at = i.state.at;
  if (i.parent) s.parent = i.parent.id;
  return s;
}
