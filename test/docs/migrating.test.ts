/**
 * Runs every currant example of docs/migrating.md (the guide from Temporal-style workflows and Step
 * Functions): each ```workflow block compiles with no diagnostic and each `<!-- run: … -->` after it
 * gives its result or error, and the task calls it names, in order (test/docs/examples.ts).
 */
import { describeExamples } from './examples.ts';

describeExamples('docs/migrating.md', { atLeast: 9 });
