/**
 * An in-memory `Store` and a recording `Dispatcher`: the reference implementation of the ports,
 * for tests of the core and of adapters built on it. Instances are kept as JSON text, so anything
 * that would not survive a real store (undefined, class instances, shared references) shows up.
 *
 *   const store = new MemoryStore();
 *   const dispatcher = new RecordingDispatcher();
 *   await startWorkflow({ store, dispatcher, programs: new ProgramCache(store), clock }, def, input);
 *   dispatcher.take(); // the commands dispatched so far
 */
import { InstanceConflictError, VersionConflictError } from './errors.ts';
import { summarize, type Dispatcher, type Store } from './ports.ts';
import type { Definition, DispatchCommand, Instance, InstanceSummary, ListFilter } from './types.ts';

export class MemoryStore implements Store {
  readonly definitions = new Map<string, string>();
  readonly instances = new Map<string, string>();
  /** Called just before a save's version check (tests use it to simulate a concurrent writer). */
  beforeSave?: (instance: Instance, expectedVersion: number) => void | Promise<void>;

  async putDefinition(def: Definition): Promise<void> {
    if (!this.definitions.has(def.hash)) this.definitions.set(def.hash, JSON.stringify(def));
  }
  async getDefinition(hash: string): Promise<Definition | undefined> {
    const d = this.definitions.get(hash);
    return d === undefined ? undefined : (JSON.parse(d) as Definition);
  }
  async create(instance: Instance): Promise<void> {
    if (this.instances.has(instance.id)) throw new InstanceConflictError(instance.id);
    this.instances.set(instance.id, JSON.stringify(instance));
  }
  async load(id: string): Promise<Instance | undefined> {
    const s = this.instances.get(id);
    return s === undefined ? undefined : (JSON.parse(s) as Instance);
  }
  async save(instance: Instance, expectedVersion: number): Promise<void> {
    await this.beforeSave?.(instance, expectedVersion);
    const s = this.instances.get(instance.id);
    const stored = s === undefined ? undefined : (JSON.parse(s) as Instance);
    if (!stored || stored.version !== expectedVersion) throw new VersionConflictError(instance.id, expectedVersion);
    this.instances.set(instance.id, JSON.stringify(instance));
  }
  async list(filter: ListFilter): Promise<{ items: InstanceSummary[]; cursor?: string }> {
    const all = [...this.instances.values()]
      .map((s) => JSON.parse(s) as Instance)
      .filter((i) => (filter.workflow === undefined || i.workflow === filter.workflow) && (filter.status === undefined || i.status === filter.status))
      .sort((a, b) => (a.createdAt === b.createdAt ? (a.id < b.id ? 1 : -1) : a.createdAt < b.createdAt ? 1 : -1));
    const from = filter.cursor ? Number(filter.cursor) : 0;
    const limit = filter.limit ?? 100;
    const page = all.slice(from, from + limit);
    const out: { items: InstanceSummary[]; cursor?: string } = { items: page.map(summarize) };
    if (from + limit < all.length) out.cursor = String(from + limit);
    return out;
  }
}

/** A dispatcher that only records what it was asked to do. */
export class RecordingDispatcher implements Dispatcher {
  commands: DispatchCommand[] = [];
  async dispatch(commands: DispatchCommand[]): Promise<void> {
    this.commands.push(...commands);
  }
  /** Returns and forgets the commands recorded so far. */
  take(): DispatchCommand[] {
    const out = this.commands;
    this.commands = [];
    return out;
  }
}
