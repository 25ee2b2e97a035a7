/**
 * The deployment the CLI gives the checker and the engine: every `.workflow` file in a folder (for
 * `run` and `check`, the folder of the file given; for `worker`, `--workflows <dir>`). Child
 * workflow starts (`workflows.charge(input)`) may name any of them (docs/language.md, "Child
 * workflows"); the same rule as the AWS deployment, whose workflows folder is one set.
 *
 *   const files = workflowFilesBeside('examples/children/order.workflow');   // [{ file, source }, …]
 *   compile(source, file, { workflows: deploymentOf(files) })
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CliError, EXIT } from './exit.ts';

/** Most workflow files read from one folder (a folder of thousands is a mistake, not a deployment). */
const MAX_FILES = 500;

/** The `.workflow` files of a folder, sorted by name. Unreadable folder: exit 2. */
export function workflowFilesIn(dir: string): { file: string; source: string }[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((f) => f.endsWith('.workflow')).sort();
  } catch (e) {
    throw new CliError(EXIT.USAGE, `cannot read the workflows folder '${dir}': ${(e as Error).message}`);
  }
  if (names.length > MAX_FILES) throw new CliError(EXIT.USAGE, `the workflows folder '${dir}' has ${names.length} .workflow files (at most ${MAX_FILES})`);
  const out: { file: string; source: string }[] = [];
  for (const n of names) {
    try {
      out.push({ file: join(dir, n), source: readFileSync(join(dir, n), 'utf8') });
    } catch {
      // a file that vanished or cannot be read is not part of the deployment
    }
  }
  return out;
}

/** The deployment of a workflow file: the `.workflow` files beside it (itself included). */
export function workflowFilesBeside(file: string): { file: string; source: string }[] {
  return workflowFilesIn(dirname(file));
}
