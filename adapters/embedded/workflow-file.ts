/**
 * A workflow definition from a `.workflow` file, in the shape `engine.start` takes.
 *
 *   await engine.start(readWorkflow('workflows/order.workflow'), { orderId: 'o-1', amount: 42 });
 *
 * `file` is the path as given (it names the file in diagnostics and status views); the source is
 * compiled by `start`, which throws a `DefinitionError` with every diagnostic if it does not check.
 */
import { readFileSync } from 'node:fs';

export function readWorkflow(path: string): { source: string; file: string } {
  return { source: readFileSync(path, 'utf8'), file: path };
}
