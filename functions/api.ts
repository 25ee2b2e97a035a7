/**
 * The api function: API Gateway REST (Lambda proxy) → the runtime. Thin: each operation validates,
 * calls the shared driver or the store, and shapes JSON.
 *
 * Takes API Gateway proxy events; gives JSON responses:
 *
 *   POST /workflows/{name}/instances   body { "input": {…}, "id": "optional" } → 201 new | 200 existing (same id + input)
 *   GET  /workflows                    the deployed workflows
 *   GET  /instances/{id}               status, result or error, current line, pending work, step log
 *   GET  /instances?workflow=&status=&limit=&cursor=   newest first, paginated
 *   POST /instances/{id}/signals/{name} body = payload (any JSON) → 200 with the instance, applied here
 *   POST /instances/{id}/cancel        body {} or { "reason": "…" } → 200 with the cancelled instance
 *   GET  /schedules                    the engine's schedules (cdk addSchedule): workflow, cron or rate, time zone, next firing
 *   POST /instances/{id}/redrive       body none or {}, header Idempotency-Key optional → 200 running again | 409 refused
 *   GET  /definitions/{hash}           the workflow text an instance runs (for the viewer's graph and source)
 *
 * Errors are `{ "error": { "code", "message", "problems"? } }`: 400 invalid JSON or input (problems
 * listed), 404 unknown workflow/instance/route, 405, 409 id conflict or finished instance, 413 body
 * over 256 KiB, 415 not JSON; 500 only for faults (logged, details hidden).
 *
 * The first activation runs here, inside the start call (no extra queue hop before the first task
 * is sent): the driver stores the definition by hash, creates the instance (conditional put) and
 * only then sends its first commands. If the call dies between the two, retrying the start with
 * the same id resends what the first activation produced (the runtime's idempotent start).
 */
import middy from '@middy/core';
import httpErrorHandler from '@middy/http-error-handler';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { programHash } from '../dsl/index.ts';
import { cancelInstance, isFinal, redriveInstance, signalInstance, startWorkflow, type RuntimeDeps, type Value } from '../runtime/index.ts';
import {
  bodyLimit,
  cancelRequest,
  definitionHash,
  HttpError,
  idempotencyKey,
  instanceId,
  json,
  jsonBody,
  jsonErrors,
  listRequest,
  redriveRequest,
  requireJsonBody,
  route,
  signalName,
  startRequest,
} from './http.ts';
import { apiView } from './view.ts';
import { checkSchedule, isoSeconds, nextFiring, type Schedule } from '../runtime/schedules.ts';

import { observability, requestLog } from './observability.ts';
import { log, logAdvance, logWorkflowLines, runtime } from './wiring.ts';
import { workflows, type WorkflowSource } from './workflows.ts';

/** What the operations need; the Lambda builds it from the environment, tests from memory. */
export interface ApiServices {
  deps: RuntimeDeps;
  workflows: () => Map<string, WorkflowSource>;
  /** The engine's schedules (CURRANT_SCHEDULES), without their inputs; none when absent. */
  schedules?: () => Schedule[];
}

export async function handle(services: ApiServices, event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const r = route(event.httpMethod, event.path);
  const { deps } = services;
  switch (r.op) {
    case 'listWorkflows': {
      const items = [...services.workflows().entries()].map(([name, w]) => ({ name, file: w.file, hash: programHash(w.source) }));
      return json(200, { items });
    }
    case 'start': {
      const def = services.workflows().get(r.params.name);
      if (!def) throw new HttpError(404, 'UNKNOWN_WORKFLOW', `no deployed workflow '${r.params.name}'`);
      const req = startRequest(jsonBody(event.body));
      const { instance, created } = await startWorkflow(deps, def, req.input, req.id === undefined ? {} : { id: req.id });
      if (created) logWorkflowLines(instance, instance.steps);
      return json(created ? 201 : 200, apiView(instance), { Location: `/instances/${encodeURIComponent(instance.id)}` });
    }
    case 'get': {
      const instance = await deps.store.load(instanceId(r.params.id));
      if (!instance) throw new HttpError(404, 'INSTANCE_NOT_FOUND', `no instance '${r.params.id}'`);
      return json(200, apiView(instance));
    }
    case 'list':
      return json(200, await deps.store.list(listRequest(event.queryStringParameters)));
    case 'signal': {
      const id = instanceId(r.params.id);
      const name = signalName(r.params.name);
      const payload = jsonBody(event.body) as Value;
      const key = idempotencyKey(event.headers);
      // Why a prefix: signal ids share the instance's event-id space with task results and timers.
      const signalId = key !== undefined ? `signal:${key}` : `signal:${deps.clock.uuid()}`;
      // Applied here, not queued: signals come only through this (IAM-authorised) API, never from
      // a queue a task function can write to (docs/protocol.md, "Who may send what").
      const result = logAdvance(await signalInstance(deps, id, name, payload, signalId));
      if (result.duplicate && isFinal(result.instance.status)) {
        throw new HttpError(409, 'INSTANCE_FINISHED', `instance '${id}' is ${result.instance.status}`);
      }
      // A timer due before the signal arrived (its wait's timeout) fired first and ended the
      // instance: saved, but the signal itself was not delivered (runtime/core.ts, event order).
      if (!result.duplicate && result.undelivered !== undefined) {
        throw new HttpError(409, 'INSTANCE_FINISHED', `instance '${id}' is ${result.instance.status}: ${result.undelivered}`);
      }
      return json(200, { ...apiView(result.instance), signal: name, signalId, duplicate: result.duplicate });
    }
    case 'listSchedules': {
      // Instances of a schedule are `<name>@<firing time>`; the workflow's listing shows them.
      const now = deps.clock.now();
      const items = (services.schedules?.() ?? []).map((s) => {
        const next = s.cron !== undefined ? nextFiring(s, now) : undefined; // a rate counts from the schedule's creation on AWS
        return { name: s.name, workflow: s.workflow, ...(s.cron !== undefined ? { cron: s.cron, timeZone: s.timeZone } : { rate: s.rate }), nextFiring: next ? isoSeconds(next) : null };
      });
      return json(200, { items });
    }
    case 'cancel': {
      const id = instanceId(r.params.id);
      const { reason } = cancelRequest(jsonBody(event.body));
      const result = logAdvance(await cancelInstance(deps, id, reason));
      if (result.duplicate && result.instance.status !== 'cancelled') {
        throw new HttpError(409, 'INSTANCE_FINISHED', `instance '${id}' is already ${result.instance.status}`);
      }
      return json(200, apiView(result.instance));
    }
    case 'redrive': {
      const id = instanceId(r.params.id);
      redriveRequest(jsonBody(event.body));
      const key = idempotencyKey(event.headers);
      // Applied here like cancel (through the shared driver, conditional save); a refusal is a 409
      // with its code (INSTANCE_NOT_FAILED, NOT_REDRIVABLE) and the instance stays as it was.
      const result = logAdvance(await redriveInstance(deps, id, key));
      return json(200, { ...apiView(result.instance), duplicate: result.duplicate });
    }
    case 'definition': {
      const def = await deps.store.getDefinition(definitionHash(r.params.hash));
      if (!def) throw new HttpError(404, 'DEFINITION_NOT_FOUND', `no definition '${r.params.hash}'`);
      return json(200, def, { 'Cache-Control': 'max-age=31536000, immutable' });
    }
    default: {
      const never: never = r;
      throw new Error(`unhandled route ${JSON.stringify(never)}`);
    }
  }
}

/** The middy stack around `handle`; `services` is called once per invocation (cheap: built lazily). */
export function createApiHandler(services: () => ApiServices) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>((event: APIGatewayProxyEvent) => handle(services(), event))
    // Outermost: the Lambda context on every line, metrics written at the end, one line per request.
    .use(observability())
    .use(requestLog(operationOf))
    .use(
      httpErrorHandler({
        fallbackMessage: JSON.stringify({ error: { code: 'INTERNAL', message: 'internal error (see the function logs)' } }),
        logger: (e: unknown) => log('error', 'api request failed', { error: String((e as Error)?.stack ?? e) }),
      }),
    )
    .use(jsonErrors())
    .use(bodyLimit())
    .use(requireJsonBody())
    .use(httpJsonBodyParser({ disableContentTypeError: true }));
}

/** The route's operation (`start`, `signal`, …) for the request log; `unknown` for a path no route matches. */
export function operationOf(method: string, path: string): string {
  try {
    return route(method, path).op;
  } catch {
    return 'unknown';
  }
}

let declared: Schedule[] | undefined;

/** The schedules the construct declared, from CURRANT_SCHEDULES (a JSON array of declarations without inputs). */
export function schedulesFromEnv(env: Record<string, string | undefined>): Schedule[] {
  const raw = env.CURRANT_SCHEDULES;
  if (!raw) return [];
  const parsed: unknown = JSON.parse(raw);
  if (!Array.isArray(parsed)) throw new Error('CURRANT_SCHEDULES must be a JSON array');
  return parsed.map((spec) => {
    const r = checkSchedule(spec);
    if (!r.ok) throw new Error(`CURRANT_SCHEDULES: ${r.problems.join('; ')}`);
    return r.schedule;
  });
}

export const handler = createApiHandler(() => {
  const rt = runtime();
  return { deps: rt.deps, workflows, schedules: () => (declared ??= schedulesFromEnv(process.env)) };
});
