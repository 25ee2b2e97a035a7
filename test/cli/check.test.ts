/** `currant check`: diagnostics rendering and exit codes, through the real CLI. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, fixture, tempDir } from './helpers.ts';

const tmp = tempDir();
afterAll(tmp.cleanup);

// In-process (`cli`): the same main() the bin calls, without a node + tsx start per call.
describe('currant check', { timeout: 90_000 }, () => {
  it('passes valid files with exit 0', async () => {
    const r = await cli(['check', fixture('greet.workflow'), 'examples/order/order.workflow']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${fixture('greet.workflow')}: ok`);
    expect(r.stdout).toContain('examples/order/order.workflow: ok');
  });

  it('renders an error as file:line:col, the source line and a caret, with exit 1', async () => {
    const r = await cli(['check', 'test/cli/fixtures/broken.workflow']);
    expect(r.code).toBe(1);
    const lines = r.stdout.split('\n');
    const head = lines.findIndex((l) => l.startsWith('test/cli/fixtures/broken.workflow:4:'));
    expect(head, r.stdout).toBeGreaterThanOrEqual(0);
    expect(lines[head]).toMatch(/error CT005 .*greett/);
    expect(lines[head + 1]).toBe('4 |   const g = await greett(name)');
    // The caret sits under `greett`.
    const caret = lines[head + 2]!;
    const col = Number(/:4:(\d+)/.exec(lines[head]!)![1]);
    expect(caret.indexOf('^')).toBe('4 | '.length + col - 1);
    expect(r.stdout).toContain('test/cli/fixtures/broken.workflow: 1 error');
  });

  it('exits 0 when there are only warnings', async () => {
    const file = join(tmp.dir, 'warn.workflow');
    // Unreachable code after return is a warning, not an error.
    writeFileSync(file, 'task t(): number\nworkflow w(): number {\n  const x = await t()\n  return x\n  const y = 1\n}\n');
    const r = await cli(['check', file]);
    expect(r.stdout).toMatch(/warning CT010/);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${file}: ok (1 warning)`);
  });

  it('reports a syntax error with its position', async () => {
    const file = join(tmp.dir, 'syntax.workflow');
    writeFileSync(file, 'workflow w() {\n  const x = \n}\n');
    const r = await cli(['check', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+:\\d+ error CS001`));
  });

  it('exits 2 for a file that does not exist, and still checks the others', async () => {
    const r = await cli(['check', 'nope.workflow', fixture('broken.workflow')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("cannot read workflow file 'nope.workflow': no such file");
    expect(r.stdout).toContain('error CT005');
  });

  it('exits 2 without a file argument', async () => {
    const r = await cli(['check']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("missing required argument 'file'");
  });
});
