/** `currant graph`: Mermaid and DOT output of a workflow file, through the real CLI. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, tempDir } from './helpers.ts';

const tmp = tempDir();
afterAll(tmp.cleanup);

// In-process (`cli`): the same main() the bin calls, without a node + tsx start per call.
describe('currant graph', { timeout: 90_000 }, () => {
  it('prints a Mermaid flowchart by default', async () => {
    const r = await cli(['graph', 'examples/order/order.workflow']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('flowchart TD');
    expect(lines).toContain('  start(["processOrder(orderId, amount)"])');
    expect(r.stdout).toMatch(/\["refundOrder"\]/);
    expect(r.stdout).toMatch(/-->\|"yes"\|/);
  });

  it('prints a Graphviz digraph with --format dot', async () => {
    const r = await cli(['graph', 'examples/polling/polling.workflow', '--format', 'dot']);
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith('digraph "polling" {\n')).toBe(true);
    expect(r.stdout.trimEnd().endsWith('}')).toBe(true);
    expect(r.stdout).toContain('[label="sleep 1s", shape=parallelogram]');
    expect(r.stdout).toMatch(/-> "n\d+" \[label="next"\];/);
  });

  it('rejects an unknown format with exit 2', async () => {
    const r = await cli(['graph', 'examples/order/order.workflow', '--format', 'svg']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('svg');
    expect(r.stdout).toBe('');
  });

  it('exits 1 with diagnostics on a syntax error, 2 for a missing file', async () => {
    const file = join(tmp.dir, 'bad.workflow');
    writeFileSync(file, 'workflow w( {\n}\n');
    const bad = await cli(['graph', file]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('error CS001');
    expect(bad.stdout).toBe('');
    const missing = await cli(['graph', join(tmp.dir, 'missing.workflow')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no such file');
  });

  it('exits 1 with the diagnostics when the file has check errors, and still prints the graph', async () => {
    const file = join(tmp.dir, 'typo.workflow');
    writeFileSync(file, 'task greet(name: string): string\nworkflow w(name: string): string {\n  return await greett(name)\n}\n');
    const r = await cli(['graph', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/typo\.workflow:3:\d+ error CT005 .*greett/);
    expect(r.stdout.startsWith('flowchart TD\n')).toBe(true);
    // Warnings alone are exit 0 (as with check).
    const warn = join(tmp.dir, 'warn.workflow');
    writeFileSync(warn, 'task t(): number\nworkflow w(): number {\n  const x = await t()\n  return x\n  const y = 1\n}\n');
    const w = await cli(['graph', warn]);
    expect(w.code).toBe(0);
    expect(w.stderr).toMatch(/warning CT010/);
  });
});
