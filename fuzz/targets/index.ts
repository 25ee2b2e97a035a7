/**
 * The fuzz targets by name, each as a property fast-check can check in chunks: the long-run runner
 * (fuzz/run.ts) and the quick slices in test/fuzz/ use the same ones.
 *
 *   const p = await TARGETS.interpreter.property();   // sync or async fast-check property
 *   fc.check(p, { numRuns: 1000, seed: 42 });
 */
import fc from 'fast-check';
import { apiRequests, apiWorld, checkApi } from './api.ts';
import { checkEditor, editorInputs } from './editor.ts';
import { checkRun, interpreterRuns } from './interpreter.ts';
import { brokenLines, checkRecovery, checkSource, sources } from './source.ts';
import { checkEventParser, checkStep, checkTaskParser, eventBodies, stepBodies, stepWorld, taskBodies } from './protocol.ts';

export interface Target {
  /** What it feeds, to what. */
  about: string;
  /** Share of the inputs of a long run (relative). Slow targets get fewer. */
  weight: number;
  property: () => Promise<fc.IProperty<never> | fc.IAsyncProperty<never>>;
}

export const TARGETS: Record<string, Target> = {
  events: {
    about: 'result/event-queue bodies → the engine\'s message parser (both queues)',
    weight: 3,
    property: async () => fc.property(eventBodies, fc.constantFrom('results' as const, 'events' as const), (b, s) => checkEventParser(b, s)) as never,
  },
  tasks: {
    about: 'task-queue bodies → the Node task SDK\'s message parser',
    weight: 2,
    property: async () => fc.property(taskBodies, (b) => checkTaskParser(b)) as never,
  },
  step: {
    about: 'forged and garbled messages → the step function over a waiting instance (refused ones change nothing)',
    weight: 1,
    property: async () => {
      const world = await stepWorld();
      return fc.asyncProperty(stepBodies(world), (m) => checkStep(world, m)) as never;
    },
  },
  api: {
    about: 'HTTP requests (paths, methods, bodies, headers, cursors) → the api handler (JSON below 500)',
    weight: 1,
    property: async () => {
      const world = await apiWorld();
      return fc.asyncProperty(apiRequests, (r) => checkApi(world, r)) as never;
    },
  },
  source: {
    about: 'mutated corpus programs, token soup, deep and unclosed constructs → compile() and the diagnostic renderer',
    weight: 2,
    property: async () => fc.property(sources, (s) => void checkSource(s)) as never,
  },
  editor: {
    about: 'the source target\'s texts at random offsets → the editor functions (openDocument, completion, hover, definition, scopes)',
    weight: 1,
    property: async () => fc.property(editorInputs, (i) => void checkEditor(i)) as never,
  },
  recovery: {
    about: 'corpus programs with one-line statements replaced by garbage → every broken line reported (parser recovery)',
    weight: 1,
    property: async () => fc.property(brokenLines, (b) => checkRecovery(b)) as never,
  },
  interpreter: {
    about: 'corpus programs with mutated literals, hostile inputs, results, failures and signals → the interpreter',
    weight: 2,
    property: async () => fc.property(interpreterRuns, (r) => void checkRun(r)) as never,
  },
};
