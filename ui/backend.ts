/**
 * Where the viewer's data comes from: the port the server (`server.ts`) talks to, implemented over
 * the embedded SQLite database (`embedded.ts`) or a deployed engine's HTTP API (`remote.ts`).
 *
 * Takes nothing itself; gives the `ViewerBackend` interface and `graphOf`, the one place the
 * workflow graph for the page is made (parse the stored definition, `toGraph`).
 *
 *   const backend = embeddedBackend('.currant/currant.db');
 *   const page = await backend.instance('order-1'); // { instance, definition, graph } or undefined
 *
 * Every method throws the runtime's errors (`InstanceNotFoundError`, `SignalRejectedError`,
 * `RedriveRefusedError`, `InputError`, …) or an `ApiError` carrying an HTTP status and code; the
 * server maps them to JSON answers with the same codes the HTTP API uses.
 */
import { parse, toGraph } from '../dsl/index.ts';
import type { Capabilities, GraphJson, InstanceJson, InstanceList, InstancePage, Json, ListQuery, VersionView } from './types.ts';

export interface ViewerBackend {
  capabilities(): Promise<Capabilities>;
  list(q: ListQuery): Promise<InstanceList>;
  /** The page of one instance, or undefined when there is none with this id. */
  instance(id: string): Promise<InstancePage | undefined>;
  /** The instance as saved at `version`, or undefined when that version is not kept. */
  version(id: string, version: number): Promise<VersionView | undefined>;
  signal(id: string, name: string, payload: Json, key: string): Promise<InstanceJson>;
  cancel(id: string, reason: string | undefined): Promise<InstanceJson>;
  redrive(id: string, key: string): Promise<InstanceJson>;
  close(): Promise<void>;
}

/** An error answer from a deployed engine's API, passed on with its status and code. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The step graph of a stored definition (null if the text no longer parses, which a stored one should). */
export function graphOf(source: string, file: string): GraphJson | null {
  const { program } = parse(source, file);
  return program ? toGraph(program) : null;
}
