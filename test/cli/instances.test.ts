/**
 * `currant status`, `list`, `signal` and `cancel` on a database (in-process through `cli`; the
 * cross-process cases are in instances.e2e.test.ts).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, fixture, tempDir } from './helpers.ts';

const tmp = tempDir();
afterAll(tmp.cleanup);
const TASKS = fixture('tasks.ts');

describe('status, list, signal, cancel', { timeout: 90_000 }, () => {
  it('list filters by workflow and status; text output has one row per instance', async () => {
    const db = join(tmp.dir, 'list.db');
    for (const id of ['a', 'b']) {
      const r = await cli(['run', fixture('greet.workflow'), '--tasks', TASKS, '--input', '{"name":"n","times":1}', '--db', db, '--id', id, '--json']);
      expect(r.code).toBe(0);
    }
    const f = await cli(['run', fixture('fails.workflow'), '--tasks', TASKS, '--input', '{"what":"w"}', '--db', db, '--id', 'c', '--json']);
    expect(f.code).toBe(1);
    const ids = async (...args: string[]) => {
      const r = await cli(['list', '--db', db, '--json', ...args]);
      expect(r.code).toBe(0);
      return JSON.parse(r.stdout).map((s: { id: string }) => s.id).sort();
    };
    expect(await ids()).toEqual(['a', 'b', 'c']);
    expect(await ids('--workflow', 'greeting')).toEqual(['a', 'b']);
    expect(await ids('--status', 'failed')).toEqual(['c']);
    expect(await ids('--status', 'waiting')).toEqual([]);
    const text = await cli(['list', '--db', db]);
    const rows = text.stdout.trim().split('\n');
    expect(rows).toHaveLength(4); // header + 3
    expect(rows.find((l) => l.startsWith('c '))).toMatch(/fails +failed .*CR007/);
    const bogus = await cli(['list', '--db', db, '--status', 'sleeping']);
    expect(bogus.code).toBe(2);
  });

  it('unknown ids and missing databases are exit 2 and create nothing', async () => {
    const db = join(tmp.dir, 'exists.db');
    const r = await cli(['run', fixture('greet.workflow'), '--tasks', TASKS, '--input', '{"name":"n","times":1}', '--db', db, '--json']);
    expect(r.code).toBe(0);
    for (const args of [['status', 'nope'], ['signal', 'nope', 'go'], ['cancel', 'nope']]) {
      const res = await cli([...args, '--db', db]);
      expect(res.code, args.join(' ')).toBe(2);
      expect(res.stderr).toContain("no instance 'nope'");
    }
    const missing = join(tmp.dir, 'missing.db');
    for (const args of [['status', 'x'], ['list'], ['signal', 'x', 'go'], ['cancel', 'x']]) {
      const res = await cli([...args, '--db', missing]);
      expect(res.code, args.join(' ')).toBe(2);
      expect(res.stderr).toContain('no database at');
    }
    expect(existsSync(missing)).toBe(false);
  });
});
