/** The command line itself: help, version, unknown commands and flags (exit codes 0 and 2). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, tempDir } from './helpers.ts';

const tmp = tempDir();
afterAll(tmp.cleanup);

// In-process (`cli`): the same main() the bin calls; test/cli/bin.e2e.test.ts runs the bin itself.
describe('currant', { timeout: 90_000 }, () => {
  it('--help lists every command, exit 0', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    for (const cmd of ['check', 'run', 'worker', 'status', 'list', 'signal', 'cancel', 'graph']) {
      expect(r.stdout).toMatch(new RegExp(`^ {2}${cmd}\\b`, 'm'));
    }
  });

  it('--version prints the version, exit 0', async () => {
    const r = await cli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('no command, an unknown command or an unknown flag: exit 2', async () => {
    const none = await cli([]);
    expect(none.code).toBe(2);
    const unknown = await cli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
    const flag = await cli(['check', '--frob', 'x.workflow']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("unknown option '--frob'");
  });

  it('a broken database is an internal error: exit 4 with the cause', async () => {
    const db = join(tmp.dir, 'broken.db');
    writeFileSync(db, 'this is not a SQLite file, just text long enough to be read as a header');
    const r = await cli(['status', 'x', '--db', db]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('internal error');
    expect(r.stderr).toContain('file is not a database');
  });
});
