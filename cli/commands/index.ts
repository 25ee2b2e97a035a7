/**
 * The commands, each loaded on first use: `main.ts` imports them from here, and a command's module
 * (with what it needs: the SQLite driver, the interpreter, the AWS-free engine) is imported only
 * when that command runs. Why: `currant check` should not pay for loading `better-sqlite3` and the
 * runtime, and in the built CLI (`dist/cli.js`, split into chunks) each command is its own chunk.
 *
 * Takes nothing, gives one async function per command with the command's own parameters:
 *
 *   const code = await checkCommand(['order.workflow']); // loads ./check.ts, then runs it
 *
 * A new command: add one line here (`lazy(() => import('./mine.ts'), 'mineCommand')`).
 */
type Fn = (...args: never[]) => unknown;

/** `module[name]`, imported on the first call; the same parameters, the result awaited. */
function lazy<M, K extends keyof M>(load: () => Promise<M>, name: K) {
  type F = M[K] extends Fn ? M[K] : never;
  return async (...args: Parameters<F>): Promise<Awaited<ReturnType<F>>> => {
    const fn = (await load())[name] as unknown as (...a: Parameters<F>) => ReturnType<F>;
    return await fn(...args);
  };
}

export const cancelCommand = lazy(() => import('./cancel.ts'), 'cancelCommand');
export const checkCommand = lazy(() => import('./check.ts'), 'checkCommand');
export const graphCommand = lazy(() => import('./graph.ts'), 'graphCommand');
export const initCommand = lazy(() => import('./init.ts'), 'initCommand');
export const listCommand = lazy(() => import('./list.ts'), 'listCommand');
export const redriveCommand = lazy(() => import('./redrive.ts'), 'redriveCommand');
export const runCommand = lazy(() => import('./run.ts'), 'runCommand');
export const schedulesCommand = lazy(() => import('./schedules.ts'), 'schedulesCommand');
export const signalCommand = lazy(() => import('./signal.ts'), 'signalCommand');
export const statusCommand = lazy(() => import('./status.ts'), 'statusCommand');
export const uiCommand = lazy(() => import('./ui.ts'), 'uiCommand');
export const workerCommand = lazy(() => import('./worker.ts'), 'workerCommand');
