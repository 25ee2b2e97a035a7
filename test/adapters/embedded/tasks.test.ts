import { describe, expect, it } from 'vitest';
import { loadTasksModule, NonRetryableError, toResult, toTaskError } from '../../../adapters/embedded/tasks.ts';

describe('loadTasksModule', () => {
  it('returns the exported functions by name, named exports winning over the default object', async () => {
    const tasks = await loadTasksModule('test/adapters/embedded/fixtures/tasks-module.ts');
    expect(Object.keys(tasks).sort()).toEqual(['double', 'fromDefault', 'greet']);
    expect(await tasks.double!(21)).toBe(42);
    expect(await tasks.fromDefault!()).toBe('default');
  });

  it('fails loudly for a module that does not exist', async () => {
    await expect(loadTasksModule('test/adapters/embedded/fixtures/nope.ts')).rejects.toThrow();
  });
});

describe('toResult / toTaskError', () => {
  it('turns return values into JSON results', () => {
    expect(toResult(undefined)).toEqual({ ok: true, result: null });
    expect(toResult({ a: 1, d: new Date(0), f: () => 1 })).toEqual({ ok: true, result: { a: 1, d: '1970-01-01T00:00:00.000Z' } });
    expect(toResult(10n)).toMatchObject({ ok: false, error: { type: 'InvalidResult', retryable: false } });
  });

  it('treats thrown errors as retryable unless they say otherwise', () => {
    expect(toTaskError(new TypeError('boom'))).toEqual({ message: 'boom', type: 'TypeError' });
    expect(toTaskError(new NonRetryableError('declined', 'CardDeclined'))).toEqual({ message: 'declined', type: 'CardDeclined', retryable: false });
    expect(toTaskError(Object.assign(new Error('x'), { nonRetryable: true }))).toMatchObject({ retryable: false });
    expect(toTaskError(Object.assign(new Error('x'), { retryable: false }))).toMatchObject({ retryable: false });
    expect(toTaskError('plain string')).toEqual({ message: 'plain string' });
  });
});
