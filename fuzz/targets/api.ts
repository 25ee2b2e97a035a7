/**
 * Fuzz target for the HTTP API: the api function's whole middy stack (functions/api.ts) over the
 * runtime's in-memory store, with the order and approval examples deployed and two instances in it.
 *
 * Takes nothing; gives an arbitrary of API Gateway proxy events and a check. The contract checked:
 * every answer is JSON with a status below 500 (a 500 is a fault the input must not be able to
 * cause), and every 4xx carries `{ error: { code, message } }`; the handler never throws.
 *
 *   const world = await apiWorld();
 *   await fc.assert(fc.asyncProperty(apiRequests, (r) => checkApi(world, r)));
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { createApiHandler, type ApiServices } from '../../functions/api.ts';
import { indexWorkflows } from '../../functions/workflows.ts';
import { MemoryStore, ProgramCache, RecordingDispatcher, startWorkflow } from '../../runtime/index.ts';
import { hostileJson, hostileJsonText, NASTY_KEYS } from './protocol.ts';

const example = (p: string) => readFileSync(new URL(`../../examples/${p}`, import.meta.url), 'utf8');

/** A workflow whose input and signal payloads may be any JSON (where deep values get furthest). */
const LOOSE = `
task keep(x: any): any
workflow loose(data: any): any {
  const a = await keep(data)
  const s = await signal("more")
  return [a, s, JSON.stringify(s)]
}
`;

export interface ApiWorld {
  handler: ReturnType<typeof createApiHandler>;
  services: ApiServices;
}

export async function apiWorld(): Promise<ApiWorld> {
  const store = new MemoryStore();
  let n = 0;
  const services: ApiServices = {
    deps: { store, dispatcher: new RecordingDispatcher(), programs: new ProgramCache(store), clock: { now: () => new Date(Date.parse('2026-01-01T00:00:00.000Z') + ++n), uuid: () => `u${++n}` } },
    workflows: () =>
      indexWorkflows([
        { file: 'order.workflow', source: example('order/order.workflow') },
        { file: 'approval.workflow', source: example('approval/approval.workflow') },
        { file: 'loose.workflow', source: LOOSE },
      ]),
  };
  await startWorkflow(services.deps, { source: example('order/order.workflow'), file: 'order.workflow' }, { orderId: 'o', amount: 1 }, { id: 'o1' });
  await startWorkflow(services.deps, { source: example('approval/approval.workflow'), file: 'approval.workflow' }, { requestId: 'r', amount: 1 }, { id: 'r1' });
  await startWorkflow(services.deps, { source: LOOSE, file: 'loose.workflow' }, { data: 1 }, { id: 'l1' });
  return { handler: createApiHandler(() => services), services };
}

const segment = fc.oneof(
  fc.constantFrom('o1', 'r1', 'l1', 'processOrder', 'approval', 'loose', 'more', 'nope', '%', '%E0%A4%A', '..', '', '%2F', 'a#b', ...NASTY_KEYS.map(encodeURIComponent)),
  fc.string({ maxLength: 30 }).map(encodeURIComponent),
  fc.integer({ min: 1, max: 3000 }).map((k) => 'x'.repeat(k)),
);

const path = fc.oneof(
  segment.map((w) => `/workflows/${w}/instances`),
  segment.map((id) => `/instances/${id}`),
  fc.tuple(segment, segment).map(([id, name]) => `/instances/${id}/signals/${name}`),
  segment.map((id) => `/instances/${id}/cancel`),
  fc.constantFrom('/instances', '/workflows', '/', '//', '/restapis/a/prod/_user_request_/instances'),
  fc.array(segment, { maxLength: 5 }).map((s) => `/${s.join('/')}`),
);

const body = fc.oneof(
  fc.constant(null),
  fc.string({ unit: 'binary', maxLength: 100 }),
  hostileJsonText,
  // start envelopes: good and bad inputs, deep values, nasty keys, odd ids
  fc
    .record({ input: fc.oneof(fc.constant({ orderId: 'o', amount: 2 }), fc.constant({ requestId: 'r', amount: 3 }), hostileJson), id: fc.oneof(fc.string(), hostileJson) }, { requiredKeys: [] })
    .map((b) => JSON.stringify(b)),
  hostileJsonText.map((t) => `{"input":{"orderId":"o","amount":${t}}}`),
  fc.tuple(hostileJsonText, fc.option(fc.constantFrom('"l1"', '"l2"'), { nil: undefined })).map(([t, id]) => `{"input":{"data":${t}}${id ? `,"id":${id}` : ''}}`),
  hostileJsonText.map((t) => `{"reason":${t}}`),
  fc.integer({ min: 200_000, max: 400_000 }).map((n) => JSON.stringify('y'.repeat(n))),
);

const query = fc.option(
  fc.dictionary(fc.oneof(fc.constantFrom('workflow', 'status', 'limit', 'cursor'), fc.constantFrom(...NASTY_KEYS)), fc.oneof(fc.string(), fc.constantFrom('0', '-1', '1e9', 'running', 'NaN'), fc.base64String({ maxLength: 200 }), hostileJsonText.map((t) => Buffer.from(t).toString('base64url')))),
  { nil: null },
);

/** Requests aimed at real routes and instances (where hostile bodies get furthest). */
const aimed = fc.oneof(
  fc.record({ httpMethod: fc.constant('POST'), path: fc.constantFrom('processOrder', 'approval', 'loose').map((w) => `/workflows/${w}/instances`) }),
  fc.record({ httpMethod: fc.constant('POST'), path: fc.tuple(fc.constantFrom('o1', 'r1', 'l1'), fc.oneof(fc.constantFrom('more', 'approval'), segment)).map(([id, n]) => `/instances/${id}/signals/${n}`) }),
  fc.record({ httpMethod: fc.constant('POST'), path: fc.constantFrom('/instances/o1/cancel', '/instances/l1/cancel') }),
  fc.record({ httpMethod: fc.constant('GET'), path: fc.constantFrom('/instances', '/instances/l1', '/workflows') }),
);

const anywhere = fc.record({
  httpMethod: fc.oneof(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'get', 'OPTIONS'), fc.string({ maxLength: 8 })),
  path,
});

export const apiRequests: fc.Arbitrary<APIGatewayProxyEvent> = fc
  .record({
    target: fc.oneof({ weight: 3, arbitrary: aimed }, { weight: 1, arbitrary: anywhere }),
    body,
    query,
    contentType: fc.constantFrom('application/json', 'text/plain', undefined, 'application/json; charset=utf-8'),
    key: fc.option(fc.oneof(fc.string({ maxLength: 300 }), fc.constantFrom(...NASTY_KEYS)), { nil: undefined }),
    base64: fc.boolean(),
  })
  .map(
    (r) =>
      ({
        httpMethod: r.target.httpMethod,
        path: r.target.path,
        body: r.body === null ? null : r.base64 ? Buffer.from(r.body).toString('base64') : r.body,
        isBase64Encoded: r.base64 && r.body !== null,
        headers: { ...(r.contentType ? { 'Content-Type': r.contentType } : {}), ...(r.key !== undefined ? { 'Idempotency-Key': r.key } : {}) },
        queryStringParameters: r.query,
      }) as unknown as APIGatewayProxyEvent,
  );

export async function checkApi(world: ApiWorld, event: APIGatewayProxyEvent): Promise<void> {
  const res = (await world.handler(event, {} as Context)) as APIGatewayProxyResult;
  if (!res || typeof res.statusCode !== 'number') throw new Error('no response');
  if (res.statusCode >= 500) throw new Error(`status ${res.statusCode} for ${event.httpMethod} ${event.path.slice(0, 80)}: ${String(res.body).slice(0, 200)}`);
  const parsed = JSON.parse(res.body) as { error?: { code?: unknown; message?: unknown } };
  if (res.statusCode >= 400 && (typeof parsed.error?.code !== 'string' || typeof parsed.error?.message !== 'string')) {
    throw new Error(`status ${res.statusCode} without { error: { code, message } }`);
  }
}
