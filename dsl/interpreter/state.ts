/**
 * Saved states across interpreter versions: `upgradeState` takes any state this or an earlier
 * interpreter wrote and gives one in the current format (STATE_VERSION), or throws for a state it
 * cannot read (a newer format, or not a state at all).
 *
 *   resume(program, upgradeState(JSON.parse(saved)), event, options)
 *
 * Format history (append a step here, never rewrite an old one):
 *   v1 — frames `L`/`W`/`F`/`O`/`T` (see frames.ts), pending `task`/`all`/`sleep`/`signal`.
 *   v2 — the handle table `h` (frames.ts `Handle`); `pending` is `{ t: 'wait', id, a, s }` naming
 *        one handle of `h`; `x` while compensating after a cancel; `i` for `instance.*`; status
 *        `cancelled`. A v1 pending await becomes a handle made by that await (same id, so the
 *        events in flight for it still match) and a `wait` on it.
 *   Frame kinds added since without a new version (a state that lacks them is unchanged):
 *        `S` (switch), `B` (labeled block); `Completion.l` (a jump's label).
 */
import type { Handle, Pending, PendingV1 } from './frames.ts';
import { STATE_VERSION, type ExecState } from './types.ts';

export function upgradeState(state: ExecState): ExecState {
  if (typeof state !== 'object' || state === null || typeof state.v !== 'number' || !Array.isArray(state.frames)) {
    throw new Error('not an interpreter state (expected an object with v and frames)');
  }
  if (state.v > STATE_VERSION) {
    throw new Error(`state format version ${state.v} is newer than this interpreter (${STATE_VERSION})`);
  }
  if (state.v < 2) return fromV1(state);
  return state;
}

/** v1 → v2: the pending await moves into the handle table (a copy: the caller's state is not changed). */
function fromV1(state: ExecState): ExecState {
  const out: ExecState = { ...state, v: 2 };
  const p = state.pending as PendingV1 | null;
  if (p === null || typeof p !== 'object') return out;
  let h: Handle;
  switch (p.t) {
    case 'task':
      h = { k: 'task', a: p.a, task: p.task };
      break;
    case 'all':
      h = { k: 'all', a: p.a, settled: p.settled, kids: p.kids, st: p.st, res: p.res, lim: p.lim, next: p.next };
      break;
    case 'sleep':
      h = { k: 'sleep', a: p.a };
      break;
    case 'signal':
      h = { k: 'signal', a: p.a, name: p.name };
      if (p.timeoutMs !== undefined) h.timeoutMs = p.timeoutMs;
      break;
    default:
      throw new Error(`not an interpreter state (unknown pending await ${JSON.stringify((p as { t?: unknown }).t)})`);
  }
  out.h = { [p.id]: h };
  out.pending = { t: 'wait', id: p.id, a: p.a, s: p.s } satisfies Pending;
  return out;
}
