/**
 * The fused-compilation benches with the sides alternated in one process:
 * hand-written glue creating the V8 instances of the unfused split, mlink
 * compiled with `fuse: false`, and mlink fused (`fusion_workloads.ts`).
 * One run per timed region, a GC before each, the order of the sides
 * rotated every round; it reports medians and the 10th–90th percentile
 * spread of each side and of the per-round ratios fused ÷ glue,
 * fused ÷ unfused and unfused ÷ glue, then markdown tables of them against
 * the targets.
 *
 * As `instantiate_interleaved.ts`, each workload runs twice: after a full
 * GC (`gc()`), which also frees the hidden classes of objects that died
 * (so JS meets its shapes afresh, and V8's first `WebAssembly.Instance`
 * after it costs ~17 µs more, whatever the module), and after a minor GC,
 * which leaves them alone. `--gc=full` or `--gc=minor` runs one.
 *
 * A workload with a floor also times it in the same rotation: the fused
 * core on plain V8 with mlink left out (a, d, e), or the loop with the
 * call inlined by hand (c).
 *
 *     deno run -A --v8-flags=--expose-gc bench/fusion_interleaved.ts [--warmup=N] [--gc=full|minor] [ROUNDS] [WORKLOAD…]
 *
 * WORKLOADs (default: all): instantiate (a: 51 nested instances), calls
 * (b: 10,000 calls 51 deep), cross (c: 10,000 calls into another
 * instance), cold (d: cold start from an artifact), memories (e: the chain
 * with a memory per instance), compile (g: `compileSync` of the chain's
 * binary, fused and not; no glue), copies (f: a module of 1 KB or 16 KB of
 * code instantiated K = 2, 10, 100 times, unfused against a fusion forced
 * past the `copies: 1` limit), mixed (h: the chain nested beside a module
 * the host gives, which only the chain's fusion covers), steps (i: 50
 * sibling instances after a module the host gives: one fused step). Each side first runs N times (default
 * 1,000; a share of it for the slower workloads), untimed. ROUNDS defaults
 * to 300; cold starts, compiles and copies run ROUNDS ÷ 4 (at least 10).
 *
 * @module
 */

import {
  CHAIN_CODE,
  chainCalls,
  type ColdSide,
  coldStartChain,
  compileChain,
  copiesColdStart,
  copiesFromArtifact,
  copiesInstantiate,
  crossCalls,
  instantiateChain,
  instantiateMixed,
  instantiateSiblings,
  LEVELS,
  LOOP_CALLS,
  mixedChainText,
  nestedChain,
  siblingsText,
  SIDES,
  type Sides,
} from "./fusion_workloads.ts";
import { parseWat } from "../mod.ts";

const gc = (globalThis as { gc?: (options?: { type: string }) => void }).gc;
if (gc === undefined) throw new Error("run with --v8-flags=--expose-gc");
const warmupFlag = Deno.args.find((a) => a.startsWith("--warmup="));
const gcFlag = Deno.args.find((a) => a.startsWith("--gc="));
const positional = Deno.args.filter((a) => a !== warmupFlag && a !== gcFlag);
const warmup = wholeNumber(warmupFlag?.slice("--warmup=".length) ?? "1000", "--warmup", 0);
const rounds = wholeNumber(positional[0] ?? "300", "ROUNDS", 1);
const coldRounds = Math.max(10, Math.floor(rounds / 4));

function wholeNumber(text: string, what: string, min: number): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min) {
    throw new Error(`${what} must be a whole number of at least ${min}, got ${text}`);
  }
  return n;
}

type Collect = () => void;
const allCollections: [string, Collect][] = [
  ["full GC", () => gc!()],
  ["minor GC", () => gc!({ type: "minor" })],
];
const gcChoice = gcFlag?.slice("--gc=".length);
if (gcChoice !== undefined && gcChoice !== "full" && gcChoice !== "minor") {
  throw new Error(`--gc must be full or minor, got ${gcChoice}`);
}
const collections = allCollections.filter(([name]) =>
  gcChoice === undefined || name.startsWith(gcChoice)
);

/** A side's step: `prepare` untimed, `run` timed. */
type Step = ColdSide;
const hot = (run: () => unknown): Step => ({ prepare() {}, run });

/** A measured workload: its steps by side, and what they are held to. */
interface Measured {
  readonly label: string;
  readonly sides: Partial<Sides<Step>>;
  /** Warm-up runs per side, as a share of `--warmup`. */
  readonly warm: number;
  readonly rounds: number;
  /** The most fused ÷ glue may be, if a target says. */
  readonly target?: number;
}

const hotSides = (sides: Sides<() => unknown>): Sides<Step> => ({
  glue: hot(sides.glue),
  unfused: hot(sides.unfused),
  fused: hot(sides.fused),
  floor: sides.floor && hot(sides.floor),
});

/** The mixed graph of workload h, parsed once (its text is the readable way to write it). */
const mixedBytes = await parseWat(mixedChainText(LEVELS - 1));
/** The siblings of workload i, parsed once. */
const siblingsBytes = await parseWat(siblingsText(LEVELS - 1));

const COPIES = [2, 10, 100];
const COPY_CODE = [1024, 16 * 1024];

const WORKLOADS: Record<string, () => Measured[]> = {
  instantiate: () => [{
    label: `a. instantiate ${LEVELS} nested instances (16 KB code)`,
    sides: hotSides(instantiateChain("a", nestedChain(LEVELS, { codeBytes: CHAIN_CODE }))),
    warm: 1,
    rounds,
    target: 0.10,
  }],
  calls: () => [{
    label: `b. calls: loop(${LOOP_CALLS}) through ${LEVELS} levels`,
    sides: hotSides(chainCalls()),
    warm: 0.1,
    rounds,
    target: 0.10,
  }],
  cross: () => [{
    label: `c. calls: ${LOOP_CALLS} cross-instance calls in a wasm loop`,
    sides: hotSides(crossCalls()),
    warm: 1,
    rounds,
    target: 0.10,
  }],
  cold: () => [{
    label: `d. cold start from artifact, ${LEVELS} instances (deserialize + instantiate + call)`,
    sides: coldStartChain(nestedChain(LEVELS, { codeBytes: CHAIN_CODE })),
    warm: 0.05,
    rounds: coldRounds,
    target: 0.30,
  }],
  memories: () => [{
    label: `e. instantiate ${LEVELS} instances, each with a memory and a data segment`,
    sides: hotSides(
      instantiateChain("e", nestedChain(LEVELS, { codeBytes: CHAIN_CODE, memories: true })),
    ),
    warm: 0.2,
    rounds,
    target: 1.0,
  }],
  steps: () => [{
    label: `i. instantiate ${LEVELS - 1} sibling instances (one fused step) after a host's module`,
    sides: hotSides(instantiateSiblings(siblingsBytes)),
    warm: 1,
    rounds,
  }],
  mixed: () => [{
    label: `h. instantiate a mixed graph: ${LEVELS - 1} nested instances (fused) + a host's module`,
    sides: hotSides(instantiateMixed(mixedBytes)),
    warm: 1,
    rounds,
  }],
  compile: () => [{
    label: `g. compile ${LEVELS} nested modules from bytes (16 KB code)`,
    sides: compileChain({ codeBytes: CHAIN_CODE }),
    warm: 0.02,
    rounds: coldRounds,
  }],
  copies: () =>
    COPY_CODE.flatMap((code) =>
      COPIES.flatMap((k): Measured[] => {
        const what = `${k} copies of ${code / 1024} KB`;
        const instantiate = copiesInstantiate(k, code);
        return [
          {
            label: `f. ${what}: cold start from bytes (compile + instantiate + call)`,
            sides: copiesColdStart(k, code),
            warm: 0.02,
            rounds: coldRounds,
          },
          {
            label: `f. ${what}: cold start from artifact (deserialize + instantiate + call)`,
            sides: copiesFromArtifact(k, code),
            warm: 0.02,
            rounds: coldRounds,
          },
          {
            label: `f. ${what}: instantiate (compiled)`,
            sides: { unfused: hot(instantiate.unfused), fused: hot(instantiate.fused) },
            warm: 0.2,
            rounds: coldRounds,
          },
        ];
      })
    ),
};

const chosen = positional.length > 1 ? positional.slice(1) : Object.keys(WORKLOADS);
for (const name of chosen) {
  if (!(name in WORKLOADS)) {
    throw new Error(`unknown workload ${name}: choose from ${Object.keys(WORKLOADS).join(", ")}`);
  }
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

/** The median, 10th and 90th percentiles of some measurements. */
interface Spread {
  readonly median: number;
  readonly p10: number;
  readonly p90: number;
}

function spreadOf(xs: readonly number[]): Spread {
  const s = [...xs].sort((a, b) => a - b);
  return { median: percentile(s, 0.5), p10: percentile(s, 0.1), p90: percentile(s, 0.9) };
}

/** Milliseconds with three significant digits, or µs below 1 ms. */
function time(ms: number): string {
  return ms >= 0.9995 ? `${ms.toPrecision(3)} ms` : `${(ms * 1000).toPrecision(3)} µs`;
}

function showTime(s: Spread): string {
  return `${time(s.median)} (${time(s.p10)} … ${time(s.p90)})`;
}

function showRatio(s: Spread | undefined, digits = 3): string {
  if (s === undefined) return "—";
  return `${s.median.toFixed(digits)} (${s.p10.toFixed(digits)} … ${s.p90.toFixed(digits)})`;
}

function timed(step: Step, collect: Collect): number {
  step.prepare();
  collect();
  const start = performance.now();
  step.run();
  return performance.now() - start;
}

/** Every ordering of `xs`, so that each side follows each other equally often. */
function orderings<T>(xs: readonly T[]): T[][] {
  if (xs.length <= 1) return [[...xs]];
  return xs.flatMap((x, i) =>
    orderings([...xs.slice(0, i), ...xs.slice(i + 1)]).map((rest) => [x, ...rest])
  );
}

type Side = typeof SIDES[number] | "floor";
const ALL_SIDES: readonly Side[] = [...SIDES, "floor"];
type Ratio = "fused ÷ glue" | "fused ÷ unfused" | "unfused ÷ glue" | "floor ÷ glue";
const RATIOS: [Ratio, Side, Side][] = [
  ["fused ÷ glue", "fused", "glue"],
  ["fused ÷ unfused", "fused", "unfused"],
  ["unfused ÷ glue", "unfused", "glue"],
  ["floor ÷ glue", "floor", "glue"],
];

interface Result {
  readonly measured: Measured;
  readonly gc: string;
  readonly times: Partial<Record<Side, Spread>>;
  readonly ratios: Partial<Record<Ratio, Spread>>;
}

function measure(m: Measured): Result[] {
  const sides = ALL_SIDES.filter((s) => m.sides[s] !== undefined);
  const step = (s: Side) => m.sides[s]!;
  const runs = Math.round(warmup * m.warm);
  for (let i = 0; i < runs; i++) {
    for (const s of sides) step(s).prepare(), step(s).run();
  }
  const orders = orderings(sides);
  return collections.map(([gcName, collect]) => {
    const times = new Map<Side, number[]>(sides.map((s) => [s, []]));
    for (let i = 0; i < m.rounds; i++) {
      // Rotate the order, so that no side always follows the same one.
      for (const s of orders[i % orders.length]) times.get(s)!.push(timed(step(s), collect));
    }
    const result: Result = { measured: m, gc: gcName, times: {}, ratios: {} };
    console.log(`${m.label}, ${gcName}, ${m.rounds} rounds after ${runs} to warm up`);
    for (const [s, ts] of times) {
      const spread = (result.times as Record<Side, Spread>)[s] = spreadOf(ts);
      console.log(`  ${(s + ":").padEnd(17)} median ${showTime(spread)}`);
    }
    for (const [name, over, under] of RATIOS) {
      const a = times.get(over);
      const b = times.get(under);
      if (a === undefined || b === undefined) continue;
      const spread = (result.ratios as Record<Ratio, Spread>)[name] = spreadOf(
        a.map((t, i) => t / b[i]),
      );
      console.log(`  ${(name + ":").padEnd(17)} median ${showRatio(spread)}`);
    }
    return result;
  });
}

const results: Result[] = [];
for (const name of chosen) for (const m of WORKLOADS[name]()) results.push(...measure(m));

// --- the tables ---------------------------------------------------------------
const SLOWER = 1.05; // no workload may be slower than unfused by more than 5%
const verdict = (ok: boolean) => ok ? "met" : "**missed**";

for (const [gcName] of collections) {
  const ofGc = results.filter((r) => r.gc === gcName);
  const withGlue = ofGc.filter((r) => r.times.glue !== undefined);
  if (withGlue.length > 0) {
    console.log(
      `\nMedians (p10 … p90) of ${rounds} rounds (cold start: ${coldRounds}), ${gcName}:\n`,
    );
    console.log(
      "| workload | glue | unfused | fused | fused ÷ glue | fused ÷ unfused | unfused ÷ glue | floor ÷ glue | target fused ÷ glue | fused ÷ unfused ≤ 1.05 |",
    );
    console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for (const r of withGlue) {
      const fg = r.ratios["fused ÷ glue"]!;
      const fu = r.ratios["fused ÷ unfused"]!;
      const target = r.measured.target;
      const cells = [
        r.measured.label,
        time(r.times.glue!.median),
        time(r.times.unfused!.median),
        time(r.times.fused!.median),
        showRatio(fg),
        showRatio(fu),
        showRatio(r.ratios["unfused ÷ glue"], 2),
        showRatio(r.ratios["floor ÷ glue"]),
        target === undefined ? "—" : `≤ ${target.toFixed(2)}: ${verdict(fg.median <= target)}`,
        verdict(fu.median <= SLOWER),
      ];
      console.log(`| ${cells.join(" | ")} |`);
    }
  }
  const copies = ofGc.filter((r) => r.times.glue === undefined);
  if (copies.length > 0) {
    console.log(
      `\nWithout glue (g; f: a fusion forced past the copies limit), medians (p10 … p90) of ${coldRounds} rounds, ${gcName}:\n`,
    );
    console.log("| workload | unfused | fused | fused ÷ unfused |");
    console.log("| --- | --- | --- | --- |");
    for (const r of copies) {
      const cells = [
        r.measured.label.replace(/^f\. /, ""),
        showTime(r.times.unfused!),
        showTime(r.times.fused!),
        showRatio(r.ratios["fused ÷ unfused"]),
      ];
      console.log(`| ${cells.join(" | ")} |`);
    }
  }
}
