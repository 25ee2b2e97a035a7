// readJsonArg refuses hostile --input / signal payloads with exit 2 (issue 7), without spawning the CLI.
import { describe, expect, it } from 'vitest';
import { readJsonArg } from '../../cli/io.ts';

describe('readJsonArg limits', () => {
  const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);

  it('refuses JSON nested 3,000 deep with exit 2 and VALUE_TOO_DEEP', () => {
    expect(() => readJsonArg(`{"a":${deep(3000)}}`, 'input')).toThrowError(/VALUE_TOO_DEEP/);
    try {
      readJsonArg(deep(3000), 'signal payload');
    } catch (e) {
      expect((e as { exitCode: number }).exitCode).toBe(2);
    }
  });

  it('refuses JSON over 10 MiB with VALUE_TOO_LARGE, accepts ordinary JSON', () => {
    expect(() => readJsonArg(JSON.stringify({ s: 'x'.repeat(10 * 1024 * 1024) }), 'input')).toThrowError(/VALUE_TOO_LARGE/);
    expect(readJsonArg('{"a":[1,{"b":2}]}', 'input')).toEqual({ a: [1, { b: 2 }] });
  });
});
