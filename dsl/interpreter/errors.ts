/**
 * The positioned runtime error, shared by the machine and the await points.
 *
 * A `RuntimeError` (values.ts) has a code and a message; a `PositionedError` adds the span of the
 * node it is about. The machine turns either into a `fail` command at that position (or at the
 * current statement).
 *
 *   throw new PositionedError('CR002', 'cannot apply - to a string and a number', node.span)
 */
import type { Span } from '../ast.ts';
import type { WorkflowError } from './types.ts';
import { RuntimeError } from './values.ts';

export class PositionedError extends RuntimeError {
  constructor(
    code: RuntimeError['code'],
    message: string,
    readonly span: Span | undefined,
    readonly extra: Partial<WorkflowError> = {},
  ) {
    super(code, message);
  }
}
