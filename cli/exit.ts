/**
 * Exit codes of the `currant` command and the error that carries one.
 *
 * Takes nothing, gives the code table and `CliError`. A command throws `CliError` for anything the
 * user can fix (bad flag, unknown file, invalid JSON); `main` prints its message and exits with
 * its code, before anything has been changed.
 *
 *   throw new CliError(EXIT.USAGE, `cannot read input file 'x.json'`)
 */
export const EXIT = {
  /** Success; for `run` the workflow completed. */
  OK: 0,
  /** The workflow failed, or `check` found errors. */
  FAILED: 1,
  /** Usage or bad input: unknown flag or file, invalid JSON, input not matching the parameters. */
  USAGE: 2,
  /** The workflow instance was cancelled. */
  CANCELLED: 3,
  /** An internal error (a bug in currant or a broken database). */
  INTERNAL: 4,
  /** `run` interrupted by Ctrl-C / SIGTERM (the instance stays in the database; 128 + SIGINT). */
  INTERRUPTED: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class CliError extends Error {
  constructor(
    readonly exitCode: ExitCode,
    message: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** The exit code for an instance's final status. */
export function exitForStatus(status: string): ExitCode {
  switch (status) {
    case 'completed':
      return EXIT.OK;
    case 'failed':
      return EXIT.FAILED;
    case 'cancelled':
      return EXIT.CANCELLED;
    default:
      return EXIT.INTERNAL;
  }
}
