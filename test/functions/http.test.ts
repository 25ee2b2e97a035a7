import { describe, expect, it } from 'vitest';
import { errorResponse, HttpError, idempotencyKey, listRequest, normalizePath, route, startRequest } from '../../functions/http.ts';
import { InputError, InstanceConflictError, InstanceNotFoundError, UnknownWorkflowError, VersionConflictError } from '../../runtime/index.ts';

const status = (f: () => unknown): number => {
  try {
    f();
  } catch (e) {
    return (e as HttpError).statusCode;
  }
  return 0;
};

describe('route', () => {
  it('maps methods and paths to operations with decoded parameters', () => {
    expect(route('POST', '/workflows/processOrder/instances')).toEqual({ op: 'start', params: { name: 'processOrder' } });
    expect(route('GET', '/instances')).toEqual({ op: 'list', params: {} });
    expect(route('get', '/instances/o%3A1/')).toEqual({ op: 'get', params: { id: 'o:1' } });
    expect(route('POST', '/instances/o1/signals/go%20now')).toEqual({ op: 'signal', params: { id: 'o1', name: 'go now' } });
    expect(route('POST', '/instances/o1/cancel')).toEqual({ op: 'cancel', params: { id: 'o1' } });
    expect(route('GET', '/workflows')).toEqual({ op: 'listWorkflows', params: {} });
  });

  it('ignores an emulator path prefix', () => {
    expect(normalizePath('/restapis/abc/prod/_user_request_/instances/o1')).toBe('/instances/o1');
    expect(route('GET', '/restapis/abc/prod/_user_request_/instances')).toEqual({ op: 'list', params: {} });
  });

  it('gives 404 for unknown paths, 405 for known paths with another method, 400 for bad escapes', () => {
    expect(status(() => route('GET', '/instances/o1/extra'))).toBe(404);
    expect(status(() => route('PUT', '/instances/o1'))).toBe(405);
    expect(status(() => route('GET', '/workflows/w/instances'))).toBe(405);
    expect(status(() => route('GET', '/instances/%E0%A4%A'))).toBe(400);
  });
});

describe('startRequest', () => {
  it('accepts { input, id }, either optional', () => {
    expect(startRequest(null)).toEqual({ input: {} });
    expect(startRequest({})).toEqual({ input: {} });
    expect(startRequest({ input: { a: 1 } })).toEqual({ input: { a: 1 } });
    expect(startRequest({ input: { a: 1 }, id: 'order-42' })).toEqual({ input: { a: 1 }, id: 'order-42' });
  });

  it('lists every problem of a bad body', () => {
    try {
      startRequest({ input: [1], id: 'has#hash', extra: true });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(HttpError);
      expect((e as HttpError).statusCode).toBe(400);
      expect((e as HttpError).problems).toHaveLength(3);
    }
    expect(status(() => startRequest([]))).toBe(400);
    expect(status(() => startRequest({ id: 'x'.repeat(129) }))).toBe(400);
    expect(status(() => startRequest({ id: 7 }))).toBe(400);
  });
});

describe('listRequest', () => {
  it('parses the filters and refuses bad values and unknown parameters', () => {
    expect(listRequest(null)).toEqual({});
    expect(listRequest({ workflow: 'w', status: 'failed', limit: '20', cursor: 'abc' })).toEqual({ workflow: 'w', status: 'failed', limit: 20, cursor: 'abc' });
    for (const q of [{ status: 'done' }, { limit: '0' }, { limit: '101' }, { limit: '2.5' }, { limit: 'ten' }, { workflow: '' }, { sort: 'asc' }]) {
      expect(status(() => listRequest(q))).toBe(400);
    }
  });
});

describe('idempotencyKey', () => {
  it('reads the header in any case', () => {
    expect(idempotencyKey({ 'idempotency-key': 'k' })).toBe('k');
    expect(idempotencyKey({ 'Idempotency-Key': 'k2' })).toBe('k2');
    expect(idempotencyKey({})).toBeUndefined();
    expect(idempotencyKey(null)).toBeUndefined();
    expect(status(() => idempotencyKey({ 'idempotency-key': 'k'.repeat(129) }))).toBe(400);
  });
});

describe('errorResponse', () => {
  const code = (e: unknown) => errorResponse(e)?.statusCode;
  it('maps the runtime errors to 4xx and leaves faults to the 500 handler', () => {
    expect(code(new InputError(['a', 'b']))).toBe(400);
    expect(JSON.parse(errorResponse(new InputError(['a', 'b']))!.body)).toEqual({ error: { code: 'INPUT_INVALID', message: 'invalid input: a; b', problems: ['a', 'b'] } });
    expect(code(new InstanceNotFoundError('x'))).toBe(404);
    expect(code(new InstanceConflictError('x'))).toBe(409);
    expect(code(new VersionConflictError('x', 3))).toBe(409);
    expect(code(new HttpError(413, 'BODY_TOO_LARGE', 'big'))).toBe(413);
    expect(code(new UnknownWorkflowError('sha256:x'))).toBeUndefined();
    expect(code(new Error('boom'))).toBeUndefined();
    expect(code({ statusCode: 415, message: 'Invalid or malformed JSON was provided', cause: { package: '@middy/http-json-body-parser', message: 'Unexpected end' } })).toBe(400);
  });
});
