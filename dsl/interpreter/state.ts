/**
 * Saved states across interpreter versions: `upgradeState` takes any state this or an earlier
 * interpreter wrote and gives one in the current format (STATE_VERSION), or throws for a state it
 * cannot read (a newer format, or not a state at all).
 *
 *   resume(program, upgradeState(JSON.parse(saved)), event, options)
 *
 * Format history (append a step here, never rewrite an old one):
 *   v1 — frames `L`/`W`/`F`/`O` (see frames.ts), pending `task`/`all`/`sleep`/`signal`.
 *        Frame kinds added since without a new version (a state that lacks them is unchanged):
 *        `T` (try), `S` (switch), `B` (labeled block); `Completion.l` (a jump's label).
 */
import { STATE_VERSION, type ExecState } from './types.ts';

export function upgradeState(state: ExecState): ExecState {
  if (typeof state !== 'object' || state === null || typeof state.v !== 'number' || !Array.isArray(state.frames)) {
    throw new Error('not an interpreter state (expected an object with v and frames)');
  }
  if (state.v > STATE_VERSION) {
    throw new Error(`state format version ${state.v} is newer than this interpreter (${STATE_VERSION})`);
  }
  // v1 is the first format: nothing to migrate yet.
  return state;
}
