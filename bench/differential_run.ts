/**
 * The long differential run: many seeds of `tests/differential_test.ts`.
 * Each random program is observed along every path that must agree (see
 * `comparePaths` in `tests/helpers/graph_gen.ts`); progress goes to stderr,
 * each mismatch to stdout with its seed. Exits 1 when any seed fails.
 *
 * ```sh
 * deno run -A bench/differential_run.ts --count 5000 --seed 1
 * deno run -A bench/differential_run.ts --seed 1234 --count 1 --print   # one seed, in full
 * ```
 *
 * Options: `--count N` (default 5000), `--seed S` (the first seed, default
 * 1), `--max-depth D` (module nesting, default 2), `--print` (print each
 * program and its reference observation), `--every N` (progress every N
 * seeds, default 500).
 *
 * @module
 */

import { parseArgs } from "@std/cli/parse-args";
import {
  comparePaths,
  type Feature,
  FEATURES,
  generateProgram,
} from "../tests/helpers/graph_gen.ts";

const USAGE =
  "usage: deno run -A bench/differential_run.ts [--count N] [--seed S] [--max-depth D] [--every N] [--print]";
const args = parseArgs(Deno.args, {
  string: ["count", "seed", "max-depth", "every"],
  boolean: ["print", "help"],
  default: { count: "5000", seed: "1", "max-depth": "2", every: "500" },
  // A misspelt option would otherwise be dropped, and the run would not be the one asked for.
  unknown: (arg) => {
    console.error(`unknown option ${arg}\n${USAGE}`);
    Deno.exit(2);
  },
});
if (args.help) {
  console.log(USAGE);
  Deno.exit(0);
}
const whole = (name: string, min: number): number => {
  const value = Number(args[name as "count"]);
  if (!Number.isSafeInteger(value) || value < min) {
    console.error(
      `--${name} must be a whole number of at least ${min}, got ${args[name as "count"]}`,
    );
    Deno.exit(2);
  }
  return value;
};
const count = whole("count", 1);
const first = whole("seed", 0);
const maxDepth = whole("max-depth", 0);
const every = whole("every", 1);

const started = performance.now();
const features = new Set<Feature>();
const outcomes = new Map<string, number>();
let failed = 0;
let observations = 0;
const fusedCounts = { whole: 0, part: 0, withCopies: 0 };

for (let seed = first; seed < first + count; seed++) {
  const program = generateProgram(seed, { maxDepth });
  for (const f of program.features) features.add(f);
  const problems: string[] = [];
  try {
    const result = await comparePaths(program.text);
    observations += 1 + result.paths.length;
    if (result.fused.byDefault) fusedCounts.whole++;
    if (result.fused.partByDefault) fusedCounts.part++;
    if (result.fused.withCopies) fusedCounts.withCopies++;
    const outcome = result.base.instantiation.slice(0, 70);
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    for (const m of result.mismatches) {
      problems.push(`${m.path}:\n    ${m.differences.join("\n    ")}`);
    }
    if (!program.mayTrap && result.base.instantiation !== "ok") {
      problems.push(`a program drawn not to trap failed: ${result.base.instantiation}`);
    }
    if (args.print) {
      console.log(program.text);
      console.log(JSON.stringify(result.base, null, 1));
    }
  } catch (e) {
    problems.push(`the program does not compile: ${(e as Error).message}`);
  }
  if (problems.length > 0) {
    failed++;
    console.log(`seed ${seed}: ${problems.join("\n  ")}`);
  }
  const done = seed - first + 1;
  if (done % every === 0 || done === count) {
    const seconds = (performance.now() - started) / 1000;
    console.error(
      `${done}/${count} seeds, ${failed} failing, ${observations} observations, ${
        seconds.toFixed(1)
      } s (${(done / seconds).toFixed(0)} seeds/s)`,
    );
  }
}

console.error("instantiation outcomes:");
for (const [outcome, n] of [...outcomes].sort((a, b) => b[1] - a[1])) {
  console.error(`  ${String(n).padStart(6)}  ${outcome}`);
}
console.error(
  `fused by default: ${fusedCounts.whole} whole, ${fusedCounts.part} in part; ` +
    `with copies allowed: ${fusedCounts.withCopies} of ${count}`,
);
const missing = FEATURES.filter((f) => !features.has(f));
console.error(missing.length === 0 ? "every feature reached" : `features not reached: ${missing}`);
console.error(failed === 0 ? "no mismatch" : `${failed} of ${count} seeds failed`);
Deno.exit(failed === 0 ? 0 : 1);
