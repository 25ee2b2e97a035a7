/**
 * The HTTP side of the api function, without AWS: routes, request validation, JSON responses and
 * the error → status mapping. Pure (apart from the middy middleware objects it builds).
 *
 * Takes a method and a path, query parameters or a parsed body; gives a route, validated values, or
 * an `HttpError` with the right 4xx:
 *
 *   route('POST', '/workflows/processOrder/instances') // => { op: 'start', params: { name: 'processOrder' } }
 *   startRequest({ input: { orderId: 'o1' }, id: 'o1' }) // => { input: { orderId: 'o1' }, id: 'o1' }
 *   errorResponse(new InputError(['amount: expected number'])) // => { statusCode: 400, body: '{"error":{…}}' }
 */
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import {
  checkValue,
  CurrantError,
  LIMITS,
  MAX_CANCEL_REASON,
  type ValueLimits,
  InputError,
  InstanceConflictError,
  InstanceNotFoundError,
  RedriveRefusedError,
  SignalRejectedError,
  VersionConflictError,
  type InstanceStatus,
  type Value,
} from '../runtime/index.ts';

/**
 * Largest request body accepted: 5 MiB. API Gateway takes 10 MB, but Lambda's synchronous invoke
 * payload stops at 6 MB for the whole event (the body is one JSON string in it, escaped), so larger
 * bodies could not reach the function anyway. Values up to the runtime's 10 MiB come from tasks.
 */
export const MAX_BODY_BYTES = 5 * 1024 * 1024;
/** Instance ids: letters, digits and `._:@-`, 1–128 characters (no `#`, which marks definition items; no `/`). */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;
/** Signal names as the language allows them (any non-empty string), bounded for sanity. */
const MAX_SIGNAL_NAME = 256;
const STATUSES: readonly InstanceStatus[] = ['running', 'waiting', 'completed', 'failed', 'cancelled'];

/** An error with an HTTP status, a stable code, and optional details (problems). */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly problems?: string[],
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

// ---------------------------------------------------------------------------------------------
// Routing
// ---------------------------------------------------------------------------------------------

export type Route =
  | { op: 'listWorkflows'; params: Record<string, never> }
  | { op: 'start'; params: { name: string } }
  | { op: 'list'; params: Record<string, never> }
  | { op: 'get'; params: { id: string } }
  | { op: 'signal'; params: { id: string; name: string } }
  | { op: 'cancel'; params: { id: string } }
  | { op: 'listSchedules'; params: Record<string, never> }
  | { op: 'redrive'; params: { id: string } }
  | { op: 'definition'; params: { hash: string } };

const ROUTES: { method: string; pattern: RegExp; make: (m: string[]) => Route }[] = [
  { method: 'GET', pattern: /^\/workflows$/, make: () => ({ op: 'listWorkflows', params: {} }) },
  { method: 'POST', pattern: /^\/workflows\/([^/]+)\/instances$/, make: (m) => ({ op: 'start', params: { name: m[0]! } }) },
  { method: 'GET', pattern: /^\/instances$/, make: () => ({ op: 'list', params: {} }) },
  { method: 'GET', pattern: /^\/instances\/([^/]+)$/, make: (m) => ({ op: 'get', params: { id: m[0]! } }) },
  { method: 'POST', pattern: /^\/instances\/([^/]+)\/signals\/([^/]+)$/, make: (m) => ({ op: 'signal', params: { id: m[0]!, name: m[1]! } }) },
  { method: 'POST', pattern: /^\/instances\/([^/]+)\/cancel$/, make: (m) => ({ op: 'cancel', params: { id: m[0]! } }) },
  { method: 'GET', pattern: /^\/schedules$/, make: () => ({ op: 'listSchedules', params: {} }) },
  { method: 'POST', pattern: /^\/instances\/([^/]+)\/redrive$/, make: (m) => ({ op: 'redrive', params: { id: m[0]! } }) },
  { method: 'GET', pattern: /^\/definitions\/([^/]+)$/, make: (m) => ({ op: 'definition', params: { hash: m[0]! } }) },
];

/**
 * Finds the route for a method and path. Path segments are percent-decoded; a trailing slash and
 * an emulator's `/restapis/<id>/<stage>/_user_request_` prefix are ignored. Throws 404 for an
 * unknown path, 405 for a known path with another method.
 */
export function route(method: string, rawPath: string): Route {
  const path = normalizePath(rawPath);
  let allowed: string[] = [];
  for (const r of ROUTES) {
    const m = r.pattern.exec(path);
    if (!m) continue;
    if (r.method !== method.toUpperCase()) {
      allowed.push(r.method);
      continue;
    }
    const parts = m.slice(1).map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        throw new HttpError(400, 'BAD_PATH', `path segment '${s}' is not valid percent-encoding`);
      }
    });
    return r.make(parts);
  }
  allowed = [...new Set(allowed)];
  if (allowed.length > 0) throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${method} is not allowed on ${path} (allowed: ${allowed.join(', ')})`);
  throw new HttpError(404, 'NOT_FOUND', `no route for ${method} ${path}`);
}

export function normalizePath(p: string): string {
  let path = p || '/';
  const marker = path.indexOf('/_user_request_');
  if (marker >= 0) path = path.slice(marker + '/_user_request_'.length) || '/';
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  return path;
}

// ---------------------------------------------------------------------------------------------
// Request validation
// ---------------------------------------------------------------------------------------------

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/**
 * Refuses a value from outside that is nested too deeply (400 VALUE_TOO_DEEP) or too large (413
 * VALUE_TOO_LARGE), before any recursive code sees it (runtime `checkValue`).
 */
export function refuseHostile(value: unknown, limits: ValueLimits, what: string): void {
  const c = checkValue(value, limits, what);
  if (!c.ok) throw new HttpError(c.code === 'VALUE_TOO_DEEP' ? 400 : 413, c.code, c.message);
}

/** The body after the JSON middlewares: a parsed JSON value, or `null` when there was none. */
export function jsonBody(body: unknown): unknown {
  return body === undefined ? null : body;
}

export interface StartRequest {
  input: Record<string, Value>;
  id?: string;
}

/**
 * `POST /workflows/{name}/instances` body: `{ "input": { …parameters… }, "id": "optional" }`.
 * Both optional (no body = no input and a fresh id). Unknown keys are refused so that a body that
 * is really the bare input (`{ "orderId": … }`) fails loudly instead of starting with `{}`.
 */
export function startRequest(body: unknown): StartRequest {
  if (body === null) return { input: {} };
  if (!isObject(body)) throw new HttpError(400, 'INPUT_INVALID', 'the body must be a JSON object: { "input": { … }, "id": "optional-id" }');
  const problems: string[] = [];
  for (const k of Object.keys(body)) {
    if (k !== 'input' && k !== 'id') problems.push(`unknown field '${k}' (the body is { "input": { … }, "id": "…" }; put workflow parameters inside "input")`);
  }
  const input = body.input ?? {};
  refuseHostile(input, LIMITS.input, '"input"');
  if (!isObject(input)) problems.push('"input" must be a JSON object keyed by parameter name');
  if (body.id !== undefined && (typeof body.id !== 'string' || !ID_PATTERN.test(body.id))) {
    problems.push(`"id" must match ${ID_PATTERN.source} (letters, digits and ._:@-, at most 128 characters)`);
  }
  if (problems.length > 0) throw new HttpError(400, 'INPUT_INVALID', `invalid start request: ${problems.join('; ')}`, problems);
  const out: StartRequest = { input: input as Record<string, Value> };
  if (typeof body.id === 'string') out.id = body.id;
  return out;
}

export function instanceId(id: string): string {
  if (!ID_PATTERN.test(id)) throw new HttpError(404, 'INSTANCE_NOT_FOUND', `no instance '${id}'`);
  return id;
}

export function signalName(name: string): string {
  if (name.length === 0 || name.length > MAX_SIGNAL_NAME) {
    throw new HttpError(400, 'INPUT_INVALID', `a signal name has 1 to ${MAX_SIGNAL_NAME} characters`);
  }
  return name;
}

/** A caller-chosen key that makes a signal idempotent (`Idempotency-Key` header). */
export function idempotencyKey(headers: Record<string, string | undefined> | null | undefined): string | undefined {
  if (!headers) return undefined;
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() === 'idempotency-key' && v) {
      if (v.length > 128) throw new HttpError(400, 'INPUT_INVALID', 'Idempotency-Key has at most 128 characters');
      return v;
    }
  }
  return undefined;
}

export interface ListRequest {
  workflow?: string;
  status?: InstanceStatus;
  limit?: number;
  cursor?: string;
}

/** `GET /instances?workflow=&status=&limit=&cursor=`; unknown parameters are refused (typos fail loudly). */
export function listRequest(query: Record<string, string | undefined> | null | undefined): ListRequest {
  const q = query ?? {};
  const problems: string[] = [];
  const out: ListRequest = {};
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined) continue;
    switch (k) {
      case 'workflow':
        if (v === '') problems.push('workflow must not be empty');
        else out.workflow = v;
        break;
      case 'status':
        if (!(STATUSES as readonly string[]).includes(v)) problems.push(`status must be one of ${STATUSES.join(', ')}`);
        else out.status = v as InstanceStatus;
        break;
      case 'limit': {
        const n = Number(v);
        if (!/^\d+$/.test(v) || n < 1 || n > 100) problems.push('limit must be an integer from 1 to 100');
        else out.limit = n;
        break;
      }
      case 'cursor':
        if (v.length > 2048 || (v !== '' && !/^[A-Za-z0-9_-]+$/.test(v))) problems.push('cursor must be the opaque text of a previous page (base64url, at most 2,048 characters)');
        else if (v !== '') out.cursor = v;
        break;
      default:
        problems.push(`unknown query parameter '${k}' (workflow, status, limit, cursor)`);
    }
  }
  if (problems.length > 0) throw new HttpError(400, 'INPUT_INVALID', `invalid list request: ${problems.join('; ')}`, problems);
  return out;
}

/** A definition hash as `programHash` makes it; anything else is 404 (it cannot name a stored definition). */
export function definitionHash(hash: string): string {
  if (!/^sha256:[0-9a-f]{64}$/.test(hash)) throw new HttpError(404, 'DEFINITION_NOT_FOUND', `no definition '${hash.slice(0, 100)}'`);
  return hash;
}

/** `POST /instances/{id}/redrive` body: nothing or `{}` (the `Idempotency-Key` header names the redrive). */
export function redriveRequest(body: unknown): void {
  if (body === null) return;
  if (!isObject(body) || Object.keys(body).length > 0) throw new HttpError(400, 'INPUT_INVALID', 'the redrive body is empty or {}');
}

/** `POST /instances/{id}/cancel` body: nothing, or `{ "reason": "…" }`. */
export function cancelRequest(body: unknown): { reason?: string } {
  if (body === null) return {};
  refuseHostile(body, { maxDepth: 2 }, 'the cancel body');
  if (isObject(body) && typeof body.reason === 'string' && body.reason.length > MAX_CANCEL_REASON) {
    throw new HttpError(400, 'VALUE_TOO_LARGE', `the cancel reason has ${body.reason.length} characters, over the limit of ${MAX_CANCEL_REASON}`);
  }
  if (!isObject(body) || Object.keys(body).some((k) => k !== 'reason') || (body.reason !== undefined && typeof body.reason !== 'string')) {
    throw new HttpError(400, 'INPUT_INVALID', 'the cancel body is empty or { "reason": "text" }');
  }
  return body.reason === undefined ? {} : { reason: body.reason as string };
}

// ---------------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------------

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return { statusCode, headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

export interface ErrorBody {
  error: { code: string; message: string; problems?: string[] };
}

/** The response for a known error, or undefined for anything else (a real fault → 500). */
export function errorResponse(e: unknown): APIGatewayProxyResult | undefined {
  const body = (code: string, message: string, problems?: string[]): ErrorBody => ({ error: { code, message, ...(problems ? { problems } : {}) } });
  if (e instanceof HttpError) return json(e.statusCode, body(e.code, e.message, e.problems));
  if (e instanceof InputError) return json(400, body(e.code, e.message, e.problems));
  if (e instanceof InstanceNotFoundError) return json(404, body(e.code, e.message));
  if (e instanceof InstanceConflictError) return json(409, body(e.code, e.message));
  // Lost every reload-and-retry round to concurrent writers: the client may simply retry.
  if (e instanceof VersionConflictError) return json(409, body(e.code, e.message));
  // A signal refused at the door: too large (413), the instance's buffer is full (409), bad name (400).
  if (e instanceof SignalRejectedError) {
    // a payload that does not match the workflow's signal<T>: 400 with the paths, as for an input
    return json(e.code === 'SIGNAL_TOO_LARGE' ? 413 : e.code === 'SIGNAL_BUFFER_FULL' ? 409 : 400, body(e.code, e.message, e.problems));
  }
  // Not failed, or failed where a redrive cannot resume (a runtime error in the workflow text).
  if (e instanceof RedriveRefusedError) return json(409, body(e.code, e.message));
  if (e instanceof CurrantError) return undefined; // DefinitionError, UnknownWorkflowError: deployment faults
  // @middy/http-json-body-parser reports malformed JSON as 415; it is a bad request.
  const m = e as { statusCode?: number; message?: string; cause?: { package?: string; message?: string } };
  if (m?.cause?.package === '@middy/http-json-body-parser') {
    return json(400, body('INVALID_JSON', `the body is not valid JSON${m.cause.message ? `: ${m.cause.message}` : ''}`));
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Middlewares (one concern each)
// ---------------------------------------------------------------------------------------------

type Mw = MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult>;

/** Refuses bodies over `max` bytes with 413, and treats an empty body as none (null). */
export function bodyLimit(max = MAX_BODY_BYTES): Mw {
  if (!Number.isInteger(max) || max <= 0) throw new TypeError(`bodyLimit: max must be a positive integer, got ${max}`);
  return {
    before: async function bodyLimitBefore(request) {
      const { body, isBase64Encoded } = request.event;
      if (body === null || body === undefined || body === '') {
        request.event.body = null;
        return;
      }
      const bytes = isBase64Encoded ? Math.floor((body.length * 3) / 4) : Buffer.byteLength(body, 'utf8');
      if (bytes > max) throw new HttpError(413, 'BODY_TOO_LARGE', `the body has ${bytes} bytes; the limit is ${max}`);
    },
  };
}

const JSON_TYPE = /^application\/(.+\+)?json($|;)/i;

/**
 * A body must come as JSON (415 otherwise). Runs before the JSON parser, which is told to leave
 * other types alone, so that a JSON string body (`"yes"`, a valid signal payload) is not mistaken
 * for an unparsed one.
 */
export function requireJsonBody(): Mw {
  return {
    before: async function requireJsonBodyBefore(request) {
      if (request.event.body === null || request.event.body === undefined) return;
      const headers = request.event.headers ?? {};
      const type = Object.entries(headers).find(([k]) => k.toLowerCase() === 'content-type')?.[1] ?? '';
      if (!JSON_TYPE.test(type)) {
        throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send the body as JSON with Content-Type: application/json');
      }
      // The parser looks at these two spellings only.
      if (headers['content-type'] === undefined && headers['Content-Type'] === undefined) {
        request.event.headers = { ...headers, 'content-type': type };
      }
    },
  };
}

/** Turns known errors into JSON responses; anything else is left to http-error-handler (500). */
export function jsonErrors(): Mw {
  return {
    onError: async function jsonErrorsOnError(request) {
      const r = errorResponse(request.error);
      if (r) request.response = r;
    },
  };
}
