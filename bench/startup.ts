/**
 * CLI start-up: the built `currant` (what `npm install currant` gives) next to a bare `node -e 0`,
 * measured side by side — the commands alternate within each round, so machine load hits all of
 * them alike — and the median of each reported. The target is `currant check` on a small file
 * within 3× the bare start. Also the TypeScript sources through tsx (a clone's `npx currant`), once.
 *
 *   const r = await benchStartup({ runs: 15 });  // { rows: [{ name, ms }], checkVsBare }
 *
 * Builds the JavaScript first (`scripts/build.ts`, no declarations) so the figures are for the
 * current sources. Every command must exit 0, so a broken build cannot look fast.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { build, ROOT } from '../scripts/build.ts';

const BIN = join(ROOT, 'bin', 'currant.mjs');
const SMALL = join(ROOT, 'examples', 'order', 'order.workflow');

export interface StartupRow {
  name: string;
  command: string;
  /** Median wall time of a whole process, ms. */
  ms: number;
}

export interface StartupResult {
  rows: StartupRow[];
  /** `currant check` (built) over `node -e 0`. */
  checkVsBare: number;
}

export async function benchStartup(opts: { runs?: number } = {}): Promise<StartupResult> {
  await build({ types: false, log: false });
  const runs = opts.runs ?? 15;
  const built = { CURRANT_CLI: 'dist' };
  const commands: { name: string; args: string[]; env?: Record<string, string>; runs?: number }[] = [
    { name: 'node -e 0', args: ['-e', '0'] },
    { name: 'currant --version (built)', args: [BIN, '--version'], env: built },
    { name: 'currant check, small file (built)', args: [BIN, 'check', SMALL], env: built },
    { name: 'currant check, from source (tsx)', args: [BIN, 'check', SMALL], runs: 3 },
  ];
  const times = new Map<string, number[]>(commands.map((c) => [c.name, []]));
  for (let round = 0; round < runs; round++) {
    for (const c of commands) {
      if (round >= (c.runs ?? runs)) continue;
      const started = performance.now();
      const r = spawnSync(process.execPath, c.args, { cwd: ROOT, env: { ...process.env, ...c.env }, encoding: 'utf8' });
      const ms = performance.now() - started;
      if (r.status !== 0) throw new Error(`${c.name} exited with ${r.status}: ${r.stderr}`);
      times.get(c.name)!.push(ms);
    }
  }
  const rows = commands.map((c) => ({
    name: c.name,
    command: [...Object.entries(c.env ?? {}).map(([k, v]) => `${k}=${v}`), 'node', ...c.args.map((a) => a.replace(ROOT + '/', ''))].join(' '),
    ms: median(times.get(c.name)!),
  }));
  const bare = rows[0]!.ms;
  return { rows, checkVsBare: rows[2]!.ms / bare };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}
