import { describe, expect, it } from 'vitest';
import { loadTasksModule, NonRetryableError, TaskError } from '../../../adapters/embedded/tasks.ts';
import { errorInfo } from '../../../sdk/node/core.ts';

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

describe('NonRetryableError', () => {
  // Result conversion and error mapping are the SDK's (test/sdk/node); this only pins the alias.
  it('is the SDK TaskError with retryable false, typed by its second argument', () => {
    expect(new NonRetryableError('declined', 'CardDeclined')).toBeInstanceOf(TaskError);
    expect(errorInfo(new NonRetryableError('declined', 'CardDeclined'))).toEqual({ message: 'declined', type: 'CardDeclined', retryable: false });
    expect(errorInfo(new NonRetryableError('declined'))).toEqual({ message: 'declined', type: 'NonRetryableError', retryable: false });
  });
});
