/**
 * The viewer's wire contract: the JSON the viewer's server (`server.ts`) gives the page
 * (`app/`). Types only, self-contained (the page is type-checked with the DOM library and without
 * Node, so it cannot import the runtime); the server builds these from the runtime's own
 * `instanceView`, `toGraph` and the store, so the shapes below mirror `runtime/view.ts` and
 * `dsl/graph.ts`.
 *
 *   GET /api/instances?…   → InstanceList
 *   GET /api/instances/:id → InstancePage
 *   GET /api/instances/:id/versions/:v → VersionView
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export type Status = 'running' | 'waiting' | 'completed' | 'failed' | 'cancelled';
export const STATUSES: readonly Status[] = ['running', 'waiting', 'completed', 'failed', 'cancelled'];

export interface WorkflowErrorJson {
  code: string;
  message: string;
  line?: number;
  col?: number;
  task?: string;
  attempts?: number;
}

export interface Summary {
  id: string;
  workflow: string;
  status: Status;
  createdAt: string;
  updatedAt: string;
  result?: Json;
  error?: WorkflowErrorJson;
  at?: { line: number; col: number };
}

/** What the list page may ask; which parts a backend honours is in `Capabilities`. */
export interface ListQuery {
  workflow?: string;
  status?: Status;
  /** ISO times bounding `createdAt` (inclusive from, exclusive to). */
  from?: string;
  to?: string;
  /** Instances whose id starts with this text. */
  q?: string;
  limit?: number;
  cursor?: string;
}

export interface InstanceList {
  items: Summary[];
  cursor?: string;
  /** Instances by status for the current workflow filter (absent when the backend cannot count). */
  counts?: Partial<Record<Status, number>>;
}

export interface Step {
  at: string;
  kind: string;
  line?: number;
  col?: number;
  task?: string;
  taskId?: string;
  attempt?: number;
  level?: 'info' | 'warn' | 'error';
  outcome: string;
  durationMs?: number;
  /** The instance version this step's transition saved (step history), when known. */
  version?: number;
}

export interface Pending {
  tasks: { taskId: string; task: string; attempt: number; of: number; line: number; col: number; sentAt: string; retryAt?: string; lastError?: string }[];
  timers: { timerId: string; purpose: string; fireAt: string; taskId?: string }[];
  signals: { name: string; since: string; line?: number; timeout?: string }[];
}

export interface InstanceJson {
  id: string;
  workflow: string;
  definitionHash: string;
  status: Status;
  input: Record<string, Json>;
  result?: Json;
  error?: WorkflowErrorJson;
  createdAt: string;
  updatedAt: string;
  version: number;
  at: { line: number; col: number } | null;
  variables: Record<string, Json> | null;
  pending: Pending;
  steps: Step[];
  redrive?: { possible: true; task: string; taskId: string; line: number } | { possible: false; code: string; reason: string };
  /** A child workflow's parent, and whether the parent awaits it (false: started detached). */
  parent?: { id: string; awaited: boolean };
  /** The child workflows it started, oldest first. */
  children?: ChildJson[];
}

export interface ChildJson {
  id: string;
  workflow: string;
  status: 'running' | 'completed' | 'failed' | 'cancelled' | 'detached';
  line: number;
  startedAt: string;
}

export interface GraphNodeJson {
  id: string;
  kind: string;
  label: string;
  line: number;
}

export interface GraphJson {
  name: string;
  nodes: GraphNodeJson[];
  edges: { from: string; to: string; label?: string }[];
}

export interface InstancePage {
  instance: InstanceJson;
  definition: { hash: string; workflow: string; file: string; source: string } | null;
  graph: GraphJson | null;
}

/** The instance as it was saved at one version (the state after that step's transition). */
export interface VersionView {
  version: number;
  at: string;
  status: Status;
  position: { line: number; col: number } | null;
  variables: Record<string, Json> | null;
  pending: Pending;
}

/** What the backend can do beyond the basics (the page hides what is missing). */
export interface Capabilities {
  /** Where the data comes from, for the header: a database path or an API URL. */
  source: string;
  mode: 'embedded' | 'api';
  counts: boolean;
  timeFilter: boolean;
  idPrefix: boolean;
  /** Per-step states are kept (time travel shows variables and position at each step). */
  history: boolean;
  /** A sentence for the page when history is missing or bounded. */
  historyNote: string;
  workflows: string[];
}

export interface ErrorJson {
  error: { code: string; message: string; problems?: string[] };
}
