/**
 * Runs every example of docs/language.md: each ```workflow block must compile (or give the
 * diagnostics its `<!-- diagnostics: … -->` comment names) and each `<!-- run: … -->` comment after
 * it is executed with the corpus driver (virtual time: test/dsl/corpus/README.md) and must give its
 * result, error or `cancelled` message (and its `logs` and task `calls`, when named).
 */
import { describeExamples } from './examples.ts';

describeExamples('docs/language.md', { atLeast: 15 });
