/**
 * The instantiate benches with the two sides alternated in one process:
 * mlink's `instantiateSync` of an already compiled module, and hand-written
 * glue creating the same V8 instances from the same `WebAssembly.Module`s
 * (`instantiate_workloads.ts`). One instantiation per timed region, a GC
 * before each, the order of the two sides swapped every round; it reports
 * medians and the 10th–90th percentile spread of each side and of the
 * per-round ratio (mlink ÷ glue).
 *
 * Each workload runs twice: after a full GC (`gc()`), which also frees the
 * hidden classes of objects that died, so the JS a side runs meets its
 * shapes afresh, and after a minor GC, which leaves them alone.
 *
 *     deno run -A --v8-flags=--expose-gc bench/instantiate_interleaved.ts [--warmup=N] [ROUNDS] [WORKLOAD…]
 *
 * WORKLOADs: deep, chain, wide, diamonds (default: all four). Each side
 * first runs N times (default 1,000), untimed: enough for V8 to finish
 * optimizing both (the runtime's recursive `run` reaches V8's top tier
 * after about 1,000 instantiations of 51 instances); `--warmup=200` shows
 * its earlier tier.
 *
 * @module
 */

import {
  chainPair,
  deepPair,
  diamondsPair,
  type InstantiatePair,
  widePair,
} from "./instantiate_workloads.ts";

const gc = (globalThis as { gc?: (options?: { type: string }) => void }).gc;
if (gc === undefined) throw new Error("run with --v8-flags=--expose-gc");
const warmupFlag = Deno.args.find((a) => a.startsWith("--warmup="));
const positional = Deno.args.filter((a) => a !== warmupFlag);
const warmup = wholeNumber(warmupFlag?.slice("--warmup=".length) ?? "1000", "--warmup", 0);
const rounds = wholeNumber(positional[0] ?? "300", "ROUNDS", 1);

function wholeNumber(text: string, what: string, min: number): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min) {
    throw new Error(`${what} must be a whole number of at least ${min}, got ${text}`);
  }
  return n;
}

const CODE = 16 * 1024;
const workloads: Record<string, [string, () => InstantiatePair]> = {
  deep: ["deep nesting (51 levels, 51 instances)", () => deepPair(51, CODE)],
  chain: ["chain through imports (51 instances)", () => chainPair(50, CODE)],
  wide: ["wide fan-out (500 children, 501 instances)", () => widePair(500, CODE)],
  diamonds: ["50 diamonds sharing memories (151 instances)", () => diamondsPair(50)],
};
const chosen = positional.length > 1 ? positional.slice(1) : Object.keys(workloads);
for (const name of chosen) {
  if (!(name in workloads)) {
    throw new Error(`unknown workload ${name}: choose from ${Object.keys(workloads).join(", ")}`);
  }
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

function spread(xs: readonly number[], digits: number, unit = ""): string {
  const s = [...xs].sort((a, b) => a - b);
  const at = (p: number) => percentile(s, p).toFixed(digits) + unit;
  return `median ${at(0.5)} (p10 ${at(0.1)} … p90 ${at(0.9)})`;
}

function report(label: string, glue: number[], mlink: number[]): void {
  const ratios = mlink.map((m, i) => m / glue[i]);
  console.log(`${label}, ${glue.length} rounds after ${warmup} to warm up`);
  console.log(`  glue:     ${spread(glue, 4, " ms")}`);
  console.log(`  mlink:    ${spread(mlink, 4, " ms")}`);
  console.log(`  ratio:    ${spread(ratios, 3)}`);
}

type Collect = () => void;
const collections: [string, Collect][] = [
  ["full GC", () => gc!()],
  ["minor GC", () => gc!({ type: "minor" })],
];

function time(body: () => unknown, collect: Collect): number {
  collect();
  const start = performance.now();
  body();
  return performance.now() - start;
}

for (const name of chosen) {
  const [label, make] = workloads[name];
  const { glue, mlink } = make();
  for (let i = 0; i < warmup; i++) glue(), mlink();
  for (const [gcLabel, collect] of collections) {
    const glueTimes: number[] = [];
    const mlinkTimes: number[] = [];
    for (let i = 0; i < rounds; i++) {
      // Alternate which side goes first, so neither always follows the other.
      if (i % 2 === 0) {
        glueTimes.push(time(glue, collect));
        mlinkTimes.push(time(mlink, collect));
      } else {
        mlinkTimes.push(time(mlink, collect));
        glueTimes.push(time(glue, collect));
      }
    }
    report(`instantiate ${label}, ${gcLabel}`, glueTimes, mlinkTimes);
  }
}
