/**
 * The schedule function: the target of the engine's EventBridge Scheduler schedules (cdk/engine.ts
 * `addSchedule`). Each firing starts one instance whose id is the schedule's name and the firing
 * time, so a firing delivered twice (Scheduler's retries, Lambda's async retries) starts it once.
 *
 * Takes the schedule's input, which the construct writes into the schedule's target:
 *
 *   { "schedule": "nightly-report", "workflow": "nightlyReport", "cron": "0 2 * * *", "timeZone": "Europe/Paris",
 *     "input": { "day": "yesterday" }, "scheduledTime": "<aws.scheduler.scheduled-time>" }
 *
 * (Scheduler replaces `<aws.scheduler.scheduled-time>` with the firing's time, e.g.
 * `2026-01-02T01:00:00Z`.) Gives `{ outcome: 'started' | 'exists' | 'refused', id?, … }`.
 *
 * Where the firing time was not filled in (an emulator that does not substitute Scheduler's context
 * attributes: ministack 1.5.33), it is the schedule's last firing at or before now, computed from
 * the declaration: the same id for every delivery within that firing's period.
 *
 * A payload that does not check (not written by the construct) is refused and logged, not thrown:
 * retrying it could not help. Faults (DynamoDB, SQS) throw, and Lambda and Scheduler retry.
 */
import { InputError, InstanceConflictError, startWorkflow, type RuntimeDeps } from '../runtime/index.ts';
import { checkSchedule, firingId, lastFiring } from '../runtime/schedules.ts';
export { SCHEDULED_TIME } from '../runtime/schedules.ts';
import middy from '@middy/core';
import { observability } from './observability.ts';
import { log, logWorkflowLines, runtime } from './wiring.ts';
import { workflows, type WorkflowSource } from './workflows.ts';

export type FiringResult =
  | { outcome: 'started' | 'exists'; schedule: string; id: string; status: string; scheduledTime: string; substituted: boolean }
  | { outcome: 'refused'; reason: string };

export async function fireSchedule(deps: RuntimeDeps, known: () => Map<string, WorkflowSource>, event: unknown, now: Date): Promise<FiringResult> {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return refuse('the event is not a JSON object');
  const e = event as Record<string, unknown>;
  const { schedule: name, scheduledTime, ...rest } = e;
  const checked = checkSchedule({ ...rest, name });
  if (!checked.ok) return refuse(checked.problems.join('; '));
  const s = checked.schedule;
  const def = known().get(s.workflow);
  if (!def) return refuse(`schedule '${s.name}': no deployed workflow '${s.workflow}'`);
  const stamped = typeof scheduledTime === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?Z$/.test(scheduledTime) ? new Date(scheduledTime) : undefined;
  const at = stamped && !Number.isNaN(stamped.getTime()) ? stamped : lastFiring(s, now);
  if (!at) return refuse(`schedule '${s.name}': no firing at or before ${now.toISOString()}`);
  if (!stamped) log('warn', 'schedule: the firing time was not filled in (an emulator?); taken from the declaration and the clock', { schedule: s.name, scheduledTime, at: at.toISOString() });
  const id = firingId(s.name, at);
  // A repeated firing of an existing instance resends what its first activation produced (a
  // delivery that died after the create is repaired like a repeated API start).
  let started: Awaited<ReturnType<typeof startWorkflow>>;
  try {
    started = await startWorkflow(deps, def, s.input, { id });
  } catch (e) {
    // The input does not fit the deployed workflow, or this firing's id was started with another
    // input (the declaration changed within one period): no retry can change that.
    if (e instanceof InputError || e instanceof InstanceConflictError) return refuse(`schedule '${s.name}': ${e.message}`);
    throw e;
  }
  const { instance, created } = started;
  if (created) logWorkflowLines(instance, instance.steps);
  const result: FiringResult = { outcome: created ? 'started' : 'exists', schedule: s.name, id, status: instance.status, scheduledTime: at.toISOString(), substituted: stamped !== undefined };
  log('info', created ? 'schedule: started an instance' : 'schedule: firing already started (a repeated delivery)', { instanceId: id, workflow: s.workflow, event: `schedule:${s.name}`, ...result });
  return result;
}

function refuse(reason: string): FiringResult {
  log('error', 'schedule: firing refused', { reason });
  return { outcome: 'refused', reason };
}

// observability(): the Lambda context on every line, and the firing's WorkflowsStarted written when it ends.
export const handler = middy(async (event: unknown): Promise<FiringResult> => fireSchedule(runtime().deps, workflows, event, new Date())).use(observability());
