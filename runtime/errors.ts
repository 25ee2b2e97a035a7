/**
 * The runtime's closed set of error classes. Each has a stable `code` that adapters map to exit
 * codes or HTTP statuses; callers branch on the class (`instanceof`) or the code, never on text.
 *
 *   try { await store.save(inst, 3) } catch (e) { if (e instanceof VersionConflictError) reload() }
 *
 * Workflow failures (a task failing permanently, a runtime error in the DSL) are not exceptions:
 * they are data on the instance (`status: 'failed'`, `error: { code: 'CR007', … }`).
 */
import { renderDiagnostics, type Diagnostic } from '../dsl/diagnostics.ts';

export type CurrantErrorCode =
  | 'INSTANCE_NOT_FOUND'
  | 'INSTANCE_CONFLICT'
  | 'VERSION_CONFLICT'
  | 'INPUT_INVALID'
  | 'DEFINITION_INVALID'
  | 'UNKNOWN_WORKFLOW'
  | 'SIGNAL_BUFFER_FULL'
  | 'SIGNAL_TOO_LARGE'
  | 'SIGNAL_INVALID'
  | 'SIGNAL_PAYLOAD_INVALID'
  | 'INSTANCE_NOT_FAILED'
  | 'NOT_REDRIVABLE';

export class CurrantError extends Error {
  readonly code: CurrantErrorCode;
  constructor(code: CurrantErrorCode, message: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}

/** No instance with this id. */
export class InstanceNotFoundError extends CurrantError {
  constructor(readonly instanceId: string) {
    super('INSTANCE_NOT_FOUND', `no instance '${instanceId}'`);
  }
}

/** An instance with this id exists and was started differently (other input or workflow). */
export class InstanceConflictError extends CurrantError {
  constructor(
    readonly instanceId: string,
    detail = 'it already exists',
  ) {
    super('INSTANCE_CONFLICT', `instance '${instanceId}' conflicts: ${detail}`);
  }
}

/** A conditional save failed: someone else saved the instance since it was loaded. */
export class VersionConflictError extends CurrantError {
  constructor(
    readonly instanceId: string,
    readonly expectedVersion: number,
  ) {
    super('VERSION_CONFLICT', `instance '${instanceId}' changed since version ${expectedVersion} was loaded`);
  }
}

/** The input does not match the workflow's parameters. `problems` lists each mismatch as text. */
export class InputError extends CurrantError {
  constructor(
    readonly problems: string[],
    /** Each problem with the JSON path it is about (`$.amount`). */
    readonly details: { path: string; message: string }[] = [],
  ) {
    super('INPUT_INVALID', `invalid input: ${problems.join('; ')}`);
  }
}

/** The workflow source has errors; `diagnostics` holds all of them, `message` renders them. */
export class DefinitionError extends CurrantError {
  constructor(
    readonly diagnostics: Diagnostic[],
    readonly source: string,
    readonly file: string,
  ) {
    super('DEFINITION_INVALID', renderDiagnostics(diagnostics.filter((d) => d.severity === 'error'), source, file));
  }
}

/**
 * A signal refused at the door (dsl `admitSignal`, `checkSignal`): the instance is unchanged.
 * `SIGNAL_BUFFER_FULL` when nobody awaits that name and the instance already buffers the most
 * signals or bytes it may; `SIGNAL_TOO_LARGE` for a payload over the buffer's byte limit or nested
 * too deeply; `SIGNAL_INVALID` for an empty name; `SIGNAL_PAYLOAD_INVALID` for a payload that does
 * not match the workflow's `signal<T>(name)` (`problems`: one `path: what` each, as for an input).
 */
export class SignalRejectedError extends CurrantError {
  constructor(
    readonly instanceId: string,
    readonly signal: string,
    code: 'SIGNAL_BUFFER_FULL' | 'SIGNAL_TOO_LARGE' | 'SIGNAL_INVALID' | 'SIGNAL_PAYLOAD_INVALID',
    detail: string,
    readonly problems?: string[],
  ) {
    super(code, `instance '${instanceId}' refused the signal (${code}): ${detail}`);
  }
}

/** No stored definition with this hash (or the stored one no longer compiles). */
export class UnknownWorkflowError extends CurrantError {
  constructor(
    readonly definitionHash: string,
    detail = 'no such definition',
  ) {
    super('UNKNOWN_WORKFLOW', `workflow definition ${definitionHash}: ${detail}`);
  }
}

/**
 * A redrive that cannot be done; the instance is unchanged. `INSTANCE_NOT_FAILED`: it is running,
 * waiting, completed or cancelled (only a failed instance is redriven). `NOT_REDRIVABLE`: it failed,
 * but not at an await whose task failed permanently — a runtime error in the workflow text (the
 * text is frozen: it would fail the same way again), or a failure with no state kept to resume from.
 */
export class RedriveRefusedError extends CurrantError {
  constructor(
    readonly instanceId: string,
    code: 'INSTANCE_NOT_FAILED' | 'NOT_REDRIVABLE',
    readonly reason: string,
  ) {
    super(code, `instance '${instanceId}' cannot be redriven: ${reason}`);
  }
}
