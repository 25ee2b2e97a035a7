/**
 * Child workflows, the adapters' side: carrying out `startChild`, `cancelChild` and `notifyParent`
 * through the driver, the same on every engine. The core (core.ts) records children in the parent
 * (`instance.children`), cancels the awaited ones when the parent is cancelled or ends, and turns a
 * child's end into `notifyParent`; this module starts the child instance (idempotently) and says
 * what, if anything, the parent must hear now.
 *
 *   const ev = await startChild(deps, command, (name) => deployment.get(name));
 *   if (ev) deliver(command.instanceId, ev);        // could not start (CR041/CR042/CR044), or it had already ended
 *   await cancelChild(deps, { childId, reason });   // best effort: unknown or finished children stay as they are
 *
 * Why the start goes through `startWorkflow` with the child's id: a repeated command (a resend
 * after a crash, a redelivered message, a restart's `pendingCommands`) finds the instance it started
 * — same workflow, same input — and changes nothing; an id taken by another start is a conflict,
 * reported to the parent as CR042 rather than joining someone else's instance.
 */
import { DefinitionError, InputError, InstanceConflictError, InstanceNotFoundError } from './errors.ts';
import { finishedCommands } from './core.ts';
import { advance, cancelInstance, startWorkflow, type RuntimeDeps } from './driver.ts';
import { eventIds, isFinal, type ChildResultEvent, type DispatchCommand } from './types.ts';

export type StartChildCommand = Extract<DispatchCommand, { type: 'startChild' }>;

/** The deployment as the runtime sees it: a workflow's source by name (undefined: not deployed). */
export type WorkflowLookup = (name: string) => { file: string; source: string } | undefined;

/**
 * Starts the child of `c` (its parent is `c.instanceId`). Gives the event the parent must get now:
 * a failure to start (CR041 not deployed, CR042 input or id refused, CR044 this engine has no
 * deployment to start from), or the end of a child that had already ended (a repeated start);
 * undefined when the child runs (its end will come through `notifyParent`) or it is detached.
 */
export async function startChild(deps: RuntimeDeps, c: StartChildCommand, workflows: WorkflowLookup | undefined): Promise<ChildResultEvent | undefined> {
  const fail = (code: string, message: string): ChildResultEvent => ({
    type: 'childResult',
    id: eventIds.child(c.childId),
    handle: c.handle,
    childId: c.childId,
    ok: false,
    failure: { status: 'failed', code, message },
  });
  if (!workflows) return fail('CR044', `this engine was not given the deployment's workflows, so it cannot start workflow ${c.workflow} as a child`);
  const def = workflows(c.workflow);
  if (!def) return fail('CR041', `workflow ${c.workflow} is not part of the deployment`);
  try {
    const parent = c.detached ? { id: c.instanceId } : { id: c.instanceId, handle: c.handle };
    const { instance, created } = await startWorkflow(deps, def, c.input, { id: c.childId, parent });
    if (created || c.detached || !isFinal(instance.status)) return undefined;
    const notify = finishedCommands(instance).find((x) => x.type === 'notifyParent');
    return notify?.type === 'notifyParent' && notify.parentId === c.instanceId ? notify.event : undefined;
  } catch (e) {
    if (e instanceof InputError) return fail('CR042', `the input of workflow ${c.workflow} does not fit its parameters: ${e.message}`);
    if (e instanceof InstanceConflictError) return fail('CR042', `instance ${c.childId} exists already: ${e.message}`);
    if (e instanceof DefinitionError) return fail('CR041', `workflow ${c.workflow} of the deployment does not compile: ${e.message}`);
    throw e;
  }
}

/** Cancels a child its parent no longer awaits. An unknown or finished child is left as it is. */
export async function cancelChild(deps: RuntimeDeps, c: { childId: string; reason: string }): Promise<void> {
  try {
    await cancelInstance(deps, c.childId, c.reason);
  } catch (e) {
    if (e instanceof InstanceNotFoundError) return;
    throw e;
  }
}

/**
 * For a process that saves transitions but runs nothing (the CLI's `signal` / `cancel`, the
 * viewer): the parts of its transitions that are about other instances, applied here too, also
 * save-only — a child's end reaches its parent (a signal that ends a child), and a cancelled
 * parent's awaited children are cancelled. The processes running those instances see the new
 * transitions in the store: a parent's `childResult` id joins its `seenEvents`, which the running
 * process re-delivers to get what it produced as a resend (cli/commands/shared.ts ExternalWatch).
 * Starting a child is left to the running process (it gets `startChild` as a resend the same way).
 */
export async function applyChildCommands(deps: RuntimeDeps, commands: DispatchCommand[]): Promise<void> {
  for (const c of commands) {
    try {
      if (c.type === 'notifyParent') await advance(deps, c.parentId, c.event);
      else if (c.type === 'cancelChild') await cancelChild(deps, c);
    } catch (e) {
      if (!(e instanceof InstanceNotFoundError)) throw e;
    }
  }
}
