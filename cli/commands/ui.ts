/**
 * `currant ui [--db path] [--port n] [--api url]`: the web viewer on http://127.0.0.1:<port>/ —
 * the instance list and each instance's graph, source, variables, pending work and timeline, with
 * signal, cancel and redrive — over the embedded database, or over a deployed engine's HTTP API
 * (`--api`, requests signed with the caller's AWS credentials). Runs until Ctrl-C / SIGTERM.
 *
 * It runs no tasks: like `currant signal`/`cancel`/`redrive`, its actions are saved to the
 * database and carried out by the process running the instances (`currant run` or `worker`).
 *
 *   $ currant ui
 *   currant ui: http://127.0.0.1:7480/ (database .currant/currant.db; Ctrl-C to stop)
 */
import { remoteBackend } from '../../ui/remote.ts';
import { embeddedBackend } from '../../ui/embedded.ts';
import { startViewer } from '../../ui/server.ts';
import type { ViewerBackend } from '../../ui/backend.ts';
import { CliError, EXIT, type ExitCode } from '../exit.ts';
import { dbPathExisting, DEFAULT_DB, output } from '../io.ts';

export const DEFAULT_UI_PORT = 7480;

export interface UiOptions {
  db?: string;
  port?: string;
  api?: string;
  region?: string;
  unsigned?: boolean;
}

export async function uiCommand(opts: UiOptions): Promise<ExitCode> {
  const port = Number(opts.port ?? DEFAULT_UI_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(EXIT.USAGE, `--port must be a port number (0 for any free one), got '${opts.port}'`);
  if (opts.api !== undefined && opts.db !== undefined && opts.db !== DEFAULT_DB) throw new CliError(EXIT.USAGE, 'use --db or --api, not both');
  let backend: ViewerBackend;
  let source: string;
  if (opts.api !== undefined) {
    try {
      backend = await remoteBackend(opts.api, { ...(opts.region ? { region: opts.region } : {}), ...(opts.unsigned ? { unsigned: true } : {}) });
      await backend.capabilities(); // fail now (unreachable, not authorised) rather than in the page
    } catch (e) {
      throw new CliError(EXIT.USAGE, `cannot use the API at ${opts.api}: ${(e as Error).message}`);
    }
    source = `API ${opts.api}`;
  } else {
    const db = dbPathExisting(opts.db);
    backend = embeddedBackend(db);
    source = `database ${opts.db ?? DEFAULT_DB}`;
  }
  let viewer;
  try {
    viewer = await startViewer({ backend, port });
  } catch (e) {
    await backend.close();
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new CliError(EXIT.USAGE, `port ${port} is in use; pick another with --port (0 for any free one)`);
    throw e;
  }
  const out = output(process.stdout);
  out.line(`currant ui: ${viewer.url} (${source}; Ctrl-C to stop)`);
  const signal = await new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  out.line(`currant ui: ${signal}, stopping`);
  await viewer.close();
  await backend.close();
  return EXIT.OK;
}
