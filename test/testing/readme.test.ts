/**
 * testing/README.md's vitest example is a real test: readme-example.test.ts, which the suite runs.
 * This keeps the two the same (the README imports from the package, the test from the source).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { ROOT } from '../cli/helpers.ts';

it('testing/README.md shows readme-example.test.ts as it is', () => {
  const readme = readFileSync(join(ROOT, 'testing', 'README.md'), 'utf8');
  const example = readFileSync(join(ROOT, 'test', 'testing', 'readme-example.test.ts'), 'utf8');
  const block = /## Example \(vitest\)\n\n```ts\n([\s\S]*?)```\n/.exec(readme)?.[1];
  expect(block).toBeDefined();
  expect(block).toBe(example.replace("from '../../testing/index.ts'", "from 'currant/testing'"));
});
