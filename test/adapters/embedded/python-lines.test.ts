/**
 * The lines a Python task process writes, parsed by the engine (python.ts): anything at all gives
 * a parsed message or a reason, never an exception; valid results keep exactly the fields the
 * runtime knows. (The process behaviour is in python.e2e.test.ts.)
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readyLine, resultLine } from '../../../adapters/embedded/python.ts';

const result = { protocol: 'currant.result.v1', type: 'taskResult', instanceId: 'i-1', taskId: 'n1.s1', attempt: 2, token: 't' };

describe('lines from a Python task process', () => {
  it('never throws on arbitrary text or JSON, and answers a string reason for anything not a result', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.jsonValue().map((v) => JSON.stringify(v))), (line) => {
        const r = resultLine(line);
        expect(typeof r === 'string' || (typeof r === 'object' && r !== null && 'outcome' in r)).toBe(true);
        const ready = readyLine(line);
        expect(typeof ready === 'string' || Array.isArray(ready)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('keeps only the known fields of a result, and checks their types', () => {
    const ok = resultLine(JSON.stringify({ ...result, ok: true, result: { a: 1 }, durationMs: 12, extra: 'x' }));
    expect(ok).toEqual({ instanceId: 'i-1', taskId: 'n1.s1', attempt: 2, token: 't', outcome: { ok: true, result: { a: 1 }, durationMs: 12 } });
    const failed = resultLine(JSON.stringify({ ...result, ok: false, error: { message: 'm', type: 'T', retryable: false, stack: 's' }, durationMs: -1 }));
    expect(failed).toEqual({ instanceId: 'i-1', taskId: 'n1.s1', attempt: 2, token: 't', outcome: { ok: false, error: { message: 'm', type: 'T', retryable: false } } });
    expect(resultLine(JSON.stringify({ ...result, ok: true }))).toBe('a successful result message without "result"');
    expect(resultLine(JSON.stringify({ ...result, ok: false, error: 'boom' }))).toBe('a failed result message without error.message');
    expect(resultLine(JSON.stringify({ ...result, attempt: 'two', ok: true, result: 1 }))).toMatch(/^a result message without instanceId, taskId, attempt or ok/);
    expect(resultLine(JSON.stringify({ ...result, token: 5, ok: true, result: 1 }))).toBe('a result message whose token is not a string');
    expect(resultLine('{"protocol":"currant.task.v1"}')).toMatch(/^it wrote a line that is not a result message/);
    expect(resultLine('x'.repeat(500))).toMatch(/^it wrote a line that is not JSON: "x{120}…"$/);
    expect(readyLine('{"protocol":"currant.local.v1","type":"ready","tasks":["a",""]}')).toBe('its "tasks" is not a list of names');
    expect(readyLine('{"protocol":"currant.local.v1","type":"ready","tasks":["a","b"]}')).toEqual(['a', 'b']);
  });
});
