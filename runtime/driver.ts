/**
 * The shared driver: load → apply → conditional save → dispatch, for every adapter.
 *
 * Takes the ports (store, dispatcher), a program cache, the clock; gives `startWorkflow`,
 * `advance` (one event), `signalInstance` and `cancelInstance`. A `VersionConflictError` on save
 * means someone else moved the instance: reload and re-apply (a re-applied event that has become a
 * duplicate turns into a resend of what it produced).
 *
 *   const deps = { store, dispatcher, programs: new ProgramCache(store), clock: { now: () => new Date(), uuid: randomUUID } };
 *   const { instance } = await startWorkflow(deps, { source, file: 'order.workflow' }, { orderId: 'o1' }, { id: 'o1' });
 *   await advance(deps, 'o1', { type: 'taskResult', id: 'n3.s1#1', taskId: 'n3.s1', attempt: 1, ok: true, result: 5 });
 */
import { admitSignal, checkSignal, compile, programHash, type Program } from '../dsl/index.ts';
import { applyEvent, redriveTransition, restartExisting, startInstance } from './core.ts';
import {
  DefinitionError,
  InstanceConflictError,
  InstanceNotFoundError,
  SignalRejectedError,
  UnknownWorkflowError,
  VersionConflictError,
} from './errors.ts';
import type { Dispatcher, Store } from './ports.ts';
import { eventIds, isFinal, type Clock, type DispatchCommand, type Instance, type Limits, type RuntimeEvent, type StepLog, type Value } from './types.ts';

/** Compiled programs by definition hash; definitions are immutable, so entries never go stale. */
export interface ProgramSource {
  get(hash: string): Promise<Program>;
  /** A program already compiled here and stored, without I/O (lets a start skip compile and the definition write). */
  peek?(hash: string): Program | undefined;
  /** Remembers a program whose definition has been stored. */
  put?(hash: string, program: Program): void;
}

export class ProgramCache implements ProgramSource {
  private readonly cache = new Map<string, Program>();
  constructor(
    private readonly store: Pick<Store, 'getDefinition'>,
    private readonly max = 100,
  ) {}

  async get(hash: string): Promise<Program> {
    const hit = this.cache.get(hash);
    if (hit) return hit;
    const def = await this.store.getDefinition(hash);
    if (!def) throw new UnknownWorkflowError(hash);
    const { program } = compile(def.source, def.file);
    if (!program) throw new UnknownWorkflowError(hash, 'the stored source no longer compiles');
    this.put(hash, program);
    return program;
  }

  peek(hash: string): Program | undefined {
    const hit = this.cache.get(hash);
    if (hit) {
      // least recently used goes first: a hit moves to the back
      this.cache.delete(hash);
      this.cache.set(hash, hit);
    }
    return hit;
  }

  put(hash: string, program: Program): void {
    if (this.cache.has(hash)) this.cache.delete(hash);
    else if (this.cache.size >= this.max) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(hash, program);
  }
}

export interface RuntimeDeps {
  store: Store;
  dispatcher: Dispatcher;
  programs: ProgramSource;
  clock: Clock;
  limits?: Limits;
  /** How many times to reload and re-apply after a version conflict (default 50). */
  maxConflictRetries?: number;
  /** Called after each saved transition with the steps it added (before dispatch). */
  onTransition?: (instance: Instance, steps: StepLog[]) => void;
}

export type AdvanceResult =
  | { duplicate: false; instance: Instance; commands: DispatchCommand[]; steps: StepLog[]; undelivered?: string }
  | { duplicate: true; reason: string; instance: Instance; resent: DispatchCommand[]; rejected?: 'token' };

/** Applies one event to an instance. Throws `InstanceNotFoundError` for an unknown id. */
export async function advance(deps: RuntimeDeps, instanceId: string, event: RuntimeEvent): Promise<AdvanceResult> {
  const max = deps.maxConflictRetries ?? 50;
  for (let round = 0; ; round++) {
    const instance = await deps.store.load(instanceId);
    if (!instance) throw new InstanceNotFoundError(instanceId);
    const program = await deps.programs.get(instance.definitionHash);
    const t = applyEvent(program, instance, event, { now: deps.clock.now, uuid: deps.clock.uuid, limits: deps.limits });
    if (t.duplicate) {
      if (t.resend.length > 0) await deps.dispatcher.dispatch(t.resend, instance);
      const r: AdvanceResult = { duplicate: true, reason: t.reason, instance, resent: t.resend };
      if (t.rejected) r.rejected = t.rejected;
      return r;
    }
    try {
      await deps.store.save(t.instance, instance.version);
    } catch (e) {
      if (e instanceof VersionConflictError && round < max) continue;
      throw e;
    }
    deps.onTransition?.(t.instance, t.steps);
    await deps.dispatcher.dispatch(t.commands, t.instance);
    const r: AdvanceResult = { duplicate: false, instance: t.instance, commands: t.commands, steps: t.steps };
    if (t.undelivered !== undefined) r.undelivered = t.undelivered;
    return r;
  }
}

/**
 * Applies several events to one instance with one load and one conditional save (fan-in: the
 * results of a fan-out arriving together). Each event is applied to the state the previous one
 * left, exactly as `advance` one by one would; duplicates among them resend what they produced.
 * Gives one result per event, in order. A version conflict reloads and re-applies them all.
 */
export async function advanceBatch(deps: RuntimeDeps, instanceId: string, events: RuntimeEvent[]): Promise<AdvanceResult[]> {
  if (events.length === 1) return [await advance(deps, instanceId, events[0]!)];
  const max = deps.maxConflictRetries ?? 50;
  for (let round = 0; ; round++) {
    const loaded = await deps.store.load(instanceId);
    if (!loaded) throw new InstanceNotFoundError(instanceId);
    const program = await deps.programs.get(loaded.definitionHash);
    const opts = { now: deps.clock.now, uuid: deps.clock.uuid, limits: deps.limits };
    let current = loaded;
    const results: AdvanceResult[] = [];
    const commands: DispatchCommand[] = [];
    const resend: DispatchCommand[] = [];
    const steps: StepLog[] = [];
    for (const event of events) {
      // After the first transition `current` is this loop's own copy: its maps change in place.
      const t = applyEvent(program, current, event, current === loaded ? opts : { ...opts, inPlace: true });
      if (t.duplicate) {
        resend.push(...t.resend);
        const r: AdvanceResult = { duplicate: true, reason: t.reason, instance: current, resent: t.resend };
        if (t.rejected) r.rejected = t.rejected;
        results.push(r);
        continue;
      }
      current = t.instance;
      commands.push(...t.commands);
      steps.push(...t.steps);
      results.push({ duplicate: false, instance: t.instance, commands: t.commands, steps: t.steps });
    }
    if (current === loaded) {
      if (resend.length > 0) await deps.dispatcher.dispatch(resend, loaded);
      return results;
    }
    try {
      await deps.store.save(current, loaded.version);
    } catch (e) {
      if (e instanceof VersionConflictError && round < max) continue;
      throw e;
    }
    deps.onTransition?.(current, steps);
    // The resends name work that is still outstanding in the saved instance (a duplicate's resend
    // is what its event produced), so they go out with the new commands.
    await deps.dispatcher.dispatch([...commands, ...resend], current);
    return results;
  }
}

export interface StartOptions {
  /** Caller-chosen instance id; a fresh uuid when absent. */
  id?: string;
  /**
   * When the id exists (same workflow and input): resend what its first activation produced and is
   * still outstanding (default true: a client retrying a start may be repairing a crash), or leave it
   * alone (false: a schedule's firing that another worker already started and runs).
   */
  resendExisting?: boolean;
  /** For a child workflow: its parent and the parent's handle awaiting it (runtime/children.ts). */
  parent?: Instance['parent'];
}

/**
 * Stores the definition (by hash) and starts an instance. A source compiled and stored before by
 * this process is neither compiled nor written again (the cache is keyed by the source's hash, so
 * a changed source is a new entry). Throws `DefinitionError` when the source
 * has errors, `InputError` for a bad input, `InstanceConflictError` when the id exists with another
 * input. The same id with the same input gives the existing instance (`created: false`) and
 * resends what its first activation produced and is still outstanding.
 */
export async function startWorkflow(
  deps: RuntimeDeps,
  definition: { source: string; file: string },
  input: unknown,
  opts: StartOptions = {},
): Promise<{ instance: Instance; created: boolean }> {
  const hash = programHash(definition.source);
  let program = deps.programs.peek?.(hash);
  if (!program) {
    const compiled = compile(definition.source, definition.file);
    if (!compiled.program) throw new DefinitionError(compiled.diagnostics, definition.source, definition.file);
    program = compiled.program;
    await deps.store.putDefinition({ hash, workflow: program.workflow.name, file: definition.file, source: definition.source, createdAt: deps.clock.now().toISOString() });
    // only once stored: a cached program promises its definition is in the store
    deps.programs.put?.(hash, program);
  }
  const workflow = program.workflow.name;

  const id = opts.id ?? deps.clock.uuid();
  const existing = opts.id !== undefined ? await deps.store.load(id) : undefined;
  if (existing) return { instance: await again(deps, existing, workflow, input, opts.resendExisting ?? true), created: false };

  const t = startInstance(program, hash, input, { id, now: deps.clock.now, uuid: deps.clock.uuid, limits: deps.limits, ...(opts.parent ? { parent: opts.parent } : {}) });
  try {
    await deps.store.create(t.instance);
  } catch (e) {
    if (!(e instanceof InstanceConflictError)) throw e;
    // Lost a race with a concurrent start of the same id.
    const other = await deps.store.load(id);
    if (!other) throw e;
    return { instance: await again(deps, other, workflow, input, opts.resendExisting ?? true), created: false };
  }
  deps.onTransition?.(t.instance, t.steps);
  await deps.dispatcher.dispatch(t.commands, t.instance);
  return { instance: t.instance, created: true };
}

async function again(deps: RuntimeDeps, existing: Instance, workflow: string, input: unknown, resend: boolean): Promise<Instance> {
  const t = restartExisting(existing, workflow, input);
  if (resend && t.duplicate && t.resend.length > 0) await deps.dispatcher.dispatch(t.resend, existing);
  return existing;
}

/**
 * Delivers a signal. `signalId` de-duplicates redeliveries (a fresh uuid when absent). Throws
 * `SignalRejectedError` (and changes nothing) when the signal is not admitted: nobody awaits that
 * name and the instance's signal buffer is full, the payload is too large or too deep, or it does
 * not match the workflow's `signal<T>(name)` (`SIGNAL_PAYLOAD_INVALID`, with the paths).
 */
export async function signalInstance(
  deps: RuntimeDeps,
  instanceId: string,
  name: string,
  payload: Value,
  signalId?: string,
): Promise<AdvanceResult> {
  // Stamped once, where the signal is accepted (not at each conflict retry): timers due by then
  // fire first (runtime/core.ts), so a late signal loses to its timeout whatever ran when.
  const receivedAt = deps.clock.now().toISOString();
  const instance = await deps.store.load(instanceId);
  if (!instance) throw new InstanceNotFoundError(instanceId);
  // Why check here as well as in the interpreter: the interpreter drops a signal over the cap
  // (so no path can fail the instance), but a caller at the door should hear that it was refused.
  const door = admitSignal(instance.state, name, payload, deps.limits);
  if (!door.ok) throw new SignalRejectedError(instanceId, name, door.code, door.message);
  if (!isFinal(instance.status)) {
    const typed = checkSignal(await deps.programs.get(instance.definitionHash), instance.state, name, payload);
    if (!typed.ok) throw new SignalRejectedError(instanceId, name, typed.code, typed.message, typed.errors.map((e) => `${e.path}: ${e.message}`));
  }
  return advance(deps, instanceId, { type: 'signal', id: signalId ?? `signal:${deps.clock.uuid()}`, name, payload, receivedAt });
}

/** Cancels an instance: outstanding timers are cancelled, late task results ignored. */
export async function cancelInstance(deps: RuntimeDeps, instanceId: string, reason?: string): Promise<AdvanceResult> {
  const event: RuntimeEvent = { type: 'cancel', id: 'cancel' };
  if (reason !== undefined) event.reason = reason;
  return advance(deps, instanceId, event);
}

/**
 * Redrives a failed instance from the await whose task failed (core.ts `redriveTransition`): load →
 * transition → conditional save → dispatch, like `advance`. `key` (an `Idempotency-Key`) names the
 * redrive; without one it is named by the failed version first loaded, so two redrives racing for
 * the same failure apply once (the second becomes a duplicate). Throws `RedriveRefusedError` (the
 * instance unchanged) when it cannot be redriven, `InstanceNotFoundError` for an unknown id.
 */
export async function redriveInstance(deps: RuntimeDeps, instanceId: string, key?: string): Promise<AdvanceResult> {
  const max = deps.maxConflictRetries ?? 50;
  let eventId: string | undefined;
  for (let round = 0; ; round++) {
    const instance = await deps.store.load(instanceId);
    if (!instance) throw new InstanceNotFoundError(instanceId);
    eventId ??= eventIds.redrive(key ?? `v${instance.version}`);
    const program = await deps.programs.get(instance.definitionHash);
    const t = redriveTransition(program, instance, eventId, { now: deps.clock.now, uuid: deps.clock.uuid, limits: deps.limits });
    if (t.duplicate) {
      if (t.resend.length > 0) await deps.dispatcher.dispatch(t.resend, instance);
      return { duplicate: true, reason: t.reason, instance, resent: t.resend };
    }
    try {
      await deps.store.save(t.instance, instance.version);
    } catch (e) {
      if (e instanceof VersionConflictError && round < max) continue;
      throw e;
    }
    deps.onTransition?.(t.instance, t.steps);
    await deps.dispatcher.dispatch(t.commands, t.instance);
    return { duplicate: false, instance: t.instance, commands: t.commands, steps: t.steps };
  }
}
