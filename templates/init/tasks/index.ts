/**
 * The tasks of workflows/welcome.workflow: one exported function per `task` declaration. The same
 * module runs embedded (`currant run … --tasks tasks/index.ts`) and in the Lambda that cdk/app.ts
 * deploys. Each function gets the task's arguments, then a context: `ctx.idempotencyKey` is the
 * same for every attempt of one call, so a provider can drop repeats.
 */
import type { TaskContext } from 'currant/tasks';

export async function sendEmail(to: string, template: string, ctx: TaskContext): Promise<{ messageId: string }> {
  // Replace with your email provider; pass ctx.idempotencyKey so a retried attempt sends once.
  console.error(`sending "${template}" to ${to} (attempt ${ctx.attempt})`);
  return { messageId: `msg-${ctx.idempotencyKey}` };
}

export async function activateAccount(userId: string): Promise<null> {
  console.error(`activating ${userId}`);
  return null;
}
