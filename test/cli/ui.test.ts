/** `currant ui`: a missing database or a bad port is exit 2 (serving and SIGTERM: ui.e2e.test.ts). */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, tempDir } from './helpers.ts';

const tmp = tempDir();
afterAll(tmp.cleanup);

describe('currant ui', { timeout: 90_000 }, () => {
  it('is exit 2 for a missing database, a bad port, and --db with --api', async () => {
    const missing = await cli(['ui', '--db', join(tmp.dir, 'none.db')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no database');
    const port = await cli(['ui', '--port', 'eighty']);
    expect(port.code).toBe(2);
    expect(port.stderr).toContain('--port must be a port number');
    const both = await cli(['ui', '--db', 'x.db', '--api', 'http://127.0.0.1:1/prod']);
    expect(both.code).toBe(2);
  });
});
