/**
 * The step function's child-workflow work (adapters/aws/children.ts has the messages): a
 * `childStart` message starts the child instance through the shared runtime code
 * (runtime/children.ts `startChild`, idempotent: a redelivered message finds the child it started)
 * and, when the start was refused (CR041 not deployed, CR042 input or id refused, CR044 no
 * deployment here) or the child had already ended, applies that to the parent at once; a
 * `childCancel` message cancels the child. A child's end reaches its parent as a `childResult`
 * message, an ordinary event the step function applies.
 *
 *   await processChild(deps, { type: 'childStart', instanceId: 'o1', handle: 'n9.s1', childId: 'o1:n9.s1', workflow: 'charge', input })
 *   // => { outcome: 'child', instanceId: 'o1:n9.s1', event: 'childStart', action: 'started' }
 *
 * The deployment is the api function's: the `.workflow` files bundled beside the step function too
 * (`CURRANT_WORKFLOWS_DIR`, functions/workflows.ts). Without it every child start is refused with
 * CR044 (the parent's await throws), never dropped.
 */
import type { ChildCancelMessage, ChildStartMessage } from '../adapters/aws/children.ts';
import { advance, cancelChild, InstanceNotFoundError, startChild, type RuntimeDeps, type WorkflowLookup } from '../runtime/index.ts';
import { workflows } from './workflows.ts';

export type ChildOutcome = { outcome: 'child'; instanceId: string; event: 'childStart' | 'childCancel'; action: 'started' | 'refused' | 'reported' | 'cancelled' | 'parent-gone'; parent?: string; code?: string };

/** Dependencies: the runtime's, and the deployment (default: the bundled workflows, if any). */
export interface ChildDeps extends RuntimeDeps {
  workflows?: WorkflowLookup;
}

let bundled: WorkflowLookup | null | undefined;

/** The bundled deployment by name, or undefined when this function has none (then CR044). */
export function bundledWorkflows(): WorkflowLookup | undefined {
  if (bundled === undefined) {
    try {
      const map = workflows();
      bundled = (name) => map.get(name);
    } catch {
      bundled = null;
    }
  }
  return bundled ?? undefined;
}

export async function processChild(deps: ChildDeps, m: ChildStartMessage | ChildCancelMessage): Promise<ChildOutcome> {
  if (m.type === 'childCancel') {
    await cancelChild(deps, { childId: m.childId, reason: m.reason });
    return { outcome: 'child', instanceId: m.childId, event: 'childCancel', action: 'cancelled', parent: m.instanceId };
  }
  const cmd = { type: 'startChild' as const, instanceId: m.instanceId, handle: m.handle, childId: m.childId, workflow: m.workflow, input: m.input, ...(m.detached ? { detached: true as const } : {}) };
  const event = await startChild(deps, cmd, deps.workflows ?? bundledWorkflows());
  if (!event) return { outcome: 'child', instanceId: m.childId, event: 'childStart', action: 'started', parent: m.instanceId };
  try {
    await advance(deps, m.instanceId, event);
  } catch (e) {
    if (e instanceof InstanceNotFoundError) return { outcome: 'child', instanceId: m.childId, event: 'childStart', action: 'parent-gone', parent: m.instanceId };
    throw e;
  }
  return { outcome: 'child', instanceId: m.childId, event: 'childStart', action: event.ok ? 'reported' : 'refused', parent: m.instanceId, ...(event.ok ? {} : { code: event.failure.code }) };
}
