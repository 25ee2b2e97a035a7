/**
 * The engine as the short-lived commands (status, list, signal, cancel) use it: opened on an
 * existing database, with no task implementations.
 *
 *   const engine = await openStore('.currant/currant.db'); await engine.get(id); await engine.close();
 */
import { createEngine } from '../../adapters/embedded/index.ts';

export async function openStore(dbPath: string) {
  return createEngine({ dbPath, tasks: {} });
}
