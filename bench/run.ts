/**
 * `npm run bench`: the interpreter's throughput next to plain JavaScript, the cost of callbacks and
 * helpers per array element next to the equivalent loop, the serialised state size
 * of each example, the embedded runtime's cost per step for 10, 1,000 and 10,000 sequential
 * awaits. Prints a report and exits 1 when a target is missed (this is a benchmark, not a test:
 * run it on a quiet machine).
 *
 * Also the CLI's start-up next to a bare `node -e 0` (bench/startup.ts) and how long currant/testing
 * takes to run workflows that wait for days (bench/testing.ts).
 *
 * Targets: ≥ 1,000,000 DSL statements per second; step 10,000 costs ≤ 1.2 × step 10; compiling a
 * source four times larger costs ≤ 6 × (linear, with room for noise), for every source shape;
 * `currant check` on a small file ≤ 3 × `node -e 0`.
 */
import { benchCompile, FAMILIES } from './compile.ts';
import { benchEmbedded } from './embedded.ts';
import { benchStartup } from './startup.ts';
import { benchTesting } from './testing.ts';
import { benchCallbacks, benchConstructs, benchInterpreter, exampleStateSizes } from './interpreter.ts';
import { benchAwaitForms, benchCancel, benchHandleBatch } from './handles.ts';
import { compile, MAX_SOURCE_LENGTH } from '../dsl/index.ts';

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const misses: string[] = [];

console.log('# currant benchmark\n');
console.log('## Interpreter: `for (let i = 0; i < n; i++) { sum += i % 7 }`\n');
const interp = benchInterpreter();
console.log(`DSL:  ${fmt(interp.statements)} statements in ${fmt(interp.seconds * 1000, 1)} ms = ${fmt(interp.dslStatementsPerSecond)} statements/s`);
console.log(`JS:   the same loop = ${fmt(interp.jsIterationsPerSecond)} iterations/s (${fmt(interp.jsIterationsPerSecond / interp.dslStatementsPerSecond, 1)}x the DSL)`);
console.log('(the interpreter counts each executed statement; the loop test and update are not counted)');
if (interp.dslStatementsPerSecond < 1_000_000) misses.push(`interpreter: ${fmt(interp.dslStatementsPerSecond)} statements/s < 1,000,000`);

console.log('\n## Error constructs: the same loop with try/catch/finally in its body\n');
console.log('| loop body | ns per iteration | vs plain |\n| --- | ---: | ---: |');
for (const r of benchConstructs()) console.log(`| ${r.name} | ${fmt(r.nsPerIteration)} | ${fmt(r.vsPlain, 2)} |`);

console.log('\n## Callbacks and helpers: cost per array element, next to the loop that does the same\n');
console.log('| shape | ns per element | vs the loop above it |\n| --- | ---: | ---: |');
for (const r of benchCallbacks()) console.log(`| ${r.name} | ${fmt(r.nsPerElement)} | ${fmt(r.vsLoop, 2)} |`);

console.log('\n## Handles: one await per iteration, by form (a resume and a JSON round trip of the state each)\n');
console.log('| loop body | resumes | µs per iteration | vs `await t(i)` | largest state, bytes |\n| --- | ---: | ---: | ---: | ---: |');
for (const r of benchAwaitForms()) console.log(`| \`${r.name}\` | ${fmt(r.awaits)} | ${fmt(r.usPerIteration, 1)} | ${fmt(r.vsDirect, 2)} | ${fmt(r.stateBytes)} |`);
{
  const b = benchHandleBatch();
  console.log(`\n${fmt(b.handles)} sleep handles made and dropped in one activation: ${fmt(b.usPerHandle, 2)} µs per handle (the sweep cancelled ${fmt(b.cancelTimers)} timers)`);
  const c = benchCancel();
  console.log(`a cancel that compensates, with ${fmt(c.outstanding)} handles outstanding: ${fmt(c.usCancel)} µs`);
}

console.log('\n## Serialised state size at the first await\n');
console.log('| example | bytes |\n| --- | ---: |');
for (const s of exampleStateSizes()) console.log(`| ${s.example} | ${fmt(s.bytesAtFirstAwait)} |`);

console.log('\n## Embedded runtime (SQLite, WAL): cost per step of n sequential awaits\n');
console.log('| n | ms/step, first 10 | ms/step, last 10 | last/first | steps/s |\n| ---: | ---: | ---: | ---: | ---: |');
const rows = await benchEmbedded();
for (const r of rows) {
  console.log(`| ${fmt(r.n)} | ${fmt(r.msPerStepFirst10, 3)} | ${fmt(r.msPerStepLast10, 3)} | ${fmt(r.ratio, 2)} | ${fmt(r.stepsPerSecond)} |`);
}
const big = rows.find((r) => r.n === 10_000);
const small = rows.find((r) => r.n === 10);
if (big && small) {
  const vsTen = big.msPerStepLast10 / small.msPerStepFirst10;
  console.log(`\nstep 10,000 vs step 10: ${fmt(big.msPerStepLast10, 3)} ms / ${fmt(small.msPerStepFirst10, 3)} ms = ${fmt(vsTen, 2)} (same run: ${fmt(big.ratio, 2)})`);
  if (big.ratio > 1.2) misses.push(`embedded: step 10,000 costs ${fmt(big.ratio, 2)}x step 10 (> 1.2)`);
}

console.log('\n## Compile (parse + check) by source shape: n and 4n characters side by side\n');
console.log('| source | chars | ms (best of 3) | ms/KB | heap MB | time 4n / time n |\n| --- | ---: | ---: | ---: | ---: | ---: |');
for (const r of benchCompile()) {
  console.log(`| ${r.family} | ${fmt(r.bytes)} | ${fmt(r.ms, 1)} | ${fmt(r.msPerKb, 1)} | ${fmt(r.heapMb)} | ${r.ratio === undefined ? '' : fmt(r.ratio, 2)} |`);
  if (r.ratio !== undefined && r.ratio > 6) misses.push(`compile: ${r.family} at 4x the size costs ${fmt(r.ratio, 2)}x (> 6, not linear)`);
}
{
  const src = FAMILIES.workflow!(MAX_SOURCE_LENGTH - 400);
  const t = performance.now();
  const ok = compile(src).program !== undefined;
  console.log(`\nthe largest source accepted (${fmt(src.length)} chars, MAX_SOURCE_LENGTH): ${fmt(performance.now() - t)} ms${ok ? '' : ' (did not compile!)'}`);
  if (!ok) misses.push('compile: the largest realistic source did not compile');
}

console.log('\n## CLI start-up: the built CLI next to a bare node, alternating, median of 15\n');
console.log('| what | command | ms | vs node -e 0 |\n| --- | --- | ---: | ---: |');
{
  const startup = await benchStartup({ runs: 15 });
  const bare = startup.rows[0]!.ms;
  for (const r of startup.rows) console.log(`| ${r.name} | \`${r.command}\` | ${fmt(r.ms)} | ${fmt(r.ms / bare, 2)} |`);
  console.log(`\n\`currant check\` = ${fmt(startup.checkVsBare, 2)} × \`node -e 0\` (target ≤ 3)`);
  if (startup.checkVsBare > 3) misses.push(`start-up: currant check takes ${fmt(startup.checkVsBare, 2)}x node -e 0 (> 3)`);
}

console.log('\n## currant/testing: long waits in test time\n');
console.log('| workflow | test time | wall ms |\n| --- | ---: | ---: |');
for (const r of await benchTesting()) console.log(`| ${r.name} | ${r.testTime} | ${fmt(r.ms, 1)} |`);

console.log(misses.length ? `\nTARGETS MISSED:\n- ${misses.join('\n- ')}` : '\nAll targets met.');
process.exitCode = misses.length ? 1 : 0;
