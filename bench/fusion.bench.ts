/**
 * Fused compilation: three sides per group — hand-written glue creating
 * the V8 instances of the unfused split (the baseline), mlink compiled with
 * `fuse: false`, and mlink compiled by default (the whole instance graph as
 * one core module). The workloads are in `fusion_workloads.ts`;
 * `fusion_interleaved.ts` measures the same with the sides alternated in
 * one process (`deno task bench:fusion`).
 *
 * a. instantiate a chain of 51 nested instances, no memories;
 * b. 10,000 calls through that chain (a wasm loop, 51 calls each);
 * c. a wasm loop of 10,000 calls into another instance;
 * d. cold start from an artifact (deserialize + instantiate + first call);
 * e. instantiate the chain with a 1-page memory and a data segment per instance;
 * f. a module instantiated K times (K = 2, 10, 100): unfused (the baseline)
 *    against a fusion forced past the default `copies: 1` limit, from the
 *    binary, from an artifact, and instantiating a compiled module;
 * g. `compileSync` of the chain's binary, unfused (the baseline) and fused;
 * h. instantiate a mixed graph: the chain, nested, and a module the host
 *    gives that imports it (only the chain fuses);
 * i. instantiate 50 sibling instances after a module the host gives (one
 *    fused step of the top level's program).
 *
 * Where there is one, a fourth bench times the floor: the fused core on
 * plain V8 with mlink left out (a, d, e), or the loop with the call
 * inlined by hand (c).
 *
 * `MLINK_BENCH_QUICK=1`: a few iterations of each.
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
import { quickMode } from "./workloads.ts";
import { parseWat } from "../mod.ts";

const exposedGc = (globalThis as { gc?: (options?: { type: string }) => void }).gc;
// A minor GC: a forced major one also throws away optimized JS code, which
// would charge mlink (JS) for a recompile that V8's own C++ never pays.
const collect = exposedGc && (() => exposedGc({ type: "minor" }));
if (collect === undefined) {
  console.warn("run with --v8-flags=--expose-gc (deno task bench does) for fair numbers");
}

const quick = quickMode();
const iterations = quick ? { n: 5, warmup: 2 } : {};
const coldIterations = quick ? { n: 3, warmup: 1 } : { n: 200, warmup: 20 };
const BATCH = 10;

const NAMES: Required<Sides<string>> = {
  glue: "glue",
  unfused: "mlink unfused",
  fused: "mlink fused",
  floor: "floor",
};

/**
 * The benches of `group`, glue the baseline, each timing `batch` calls
 * after a minor GC; a fourth for the floor, if there is one (`floorWhat`
 * says what it is).
 */
function trio(
  group: string,
  what: string,
  sides: Sides<() => unknown>,
  batch = 1,
  floorWhat = "the fused core on plain V8",
): void {
  for (const side of [...SIDES, "floor"] as const) {
    const fn = sides[side];
    if (fn === undefined) continue;
    Deno.bench({
      name: `${NAMES[side]}: ${side === "floor" ? floorWhat : what}${
        batch > 1 ? ` (×${batch})` : ""
      }`,
      group,
      baseline: side === "glue",
      ...iterations,
      fn(b) {
        collect?.();
        b.start();
        for (let i = 0; i < batch; i++) fn();
        b.end();
      },
    });
  }
}

/** Cold-start benches of `group`: `prepare` and a minor GC untimed, then `run`. */
function cold(group: string, sides: [string, ColdSide, boolean][]): void {
  for (const [name, side, baseline] of sides) {
    Deno.bench({
      name,
      group,
      baseline,
      ...coldIterations,
      fn(b) {
        side.prepare();
        collect?.();
        b.start();
        side.run();
        b.end();
      },
    });
  }
}

// a. instantiate the 51-instance chain, no memories
trio(
  "fusion: instantiate 51-chain",
  `instantiate ${LEVELS} nested instances, 16 KB of code`,
  instantiateChain("a", nestedChain(LEVELS, { codeBytes: CHAIN_CODE })),
  BATCH,
);

// b. calls down the 51-deep chain, looping in wasm
trio(
  "fusion: calls through 51-chain",
  `loop(${LOOP_CALLS}), each call ${LEVELS} calls deep`,
  chainCalls(),
);

// c. one cross-instance call in a wasm loop
trio(
  "fusion: cross-instance call loop",
  `${LOOP_CALLS} calls to another instance`,
  crossCalls(),
  1,
  "the loop with the call inlined by hand",
);

// d. cold start from an artifact
{
  const sides = coldStartChain(nestedChain(LEVELS, { codeBytes: CHAIN_CODE }));
  cold("fusion: cold start 51-chain", [
    ["glue: compile 51 cores + instantiate + call", sides.glue, true],
    ["mlink unfused: deserialize + instantiate + call", sides.unfused, false],
    ["mlink fused: deserialize + instantiate + call", sides.fused, false],
    ["floor: V8 compile of the fused core + instantiate + call", sides.floor!, false],
  ]);
}

// e. the chain with a memory and a data segment per instance
trio(
  "fusion: instantiate 51-chain with memories",
  `instantiate ${LEVELS} instances, each with a memory`,
  instantiateChain("e", nestedChain(LEVELS, { codeBytes: CHAIN_CODE, memories: true })),
);

// g. compiling the chain from its binary, with and without fuse
{
  const sides = compileChain({ codeBytes: CHAIN_CODE });
  cold("fusion: compile 51-chain from bytes", [
    ["mlink unfused: compileSync(bytes, { fuse: false })", sides.unfused, true],
    ["mlink fused: compileSync(bytes)", sides.fused, false],
  ]);
}

// h. a mixed graph: the closed chain fuses beside a module the host gives
trio(
  "fusion: instantiate a mixed graph",
  `instantiate ${LEVELS - 1} nested instances and a host-given module`,
  instantiateMixed(await parseWat(mixedChainText(LEVELS - 1))),
  BATCH,
  "the fused chain's core and the plugin's on plain V8",
);

// i. siblings after a module the host gives: one fused step
trio(
  "fusion: instantiate siblings as a fused step",
  `instantiate a host-given module and ${LEVELS - 1} sibling instances`,
  instantiateSiblings(await parseWat(siblingsText(LEVELS - 1))),
  BATCH,
  "the plugin's core and the step's fused core on plain V8",
);

// f. a module instantiated K times: what fusing its copies would cost
const COPY_CODE = 1024;
for (const k of [2, 10, 100]) {
  const fromBytes = copiesColdStart(k, COPY_CODE);
  cold(`fusion: ${k} copies, cold start from bytes`, [
    ["unfused: compileSync + instantiate + call", fromBytes.unfused, true],
    [
      "forced fusion: compileBinary + fuseModule + V8 compile + instantiate + call",
      fromBytes.fused,
      false,
    ],
  ]);
  const fromArtifact = copiesFromArtifact(k, COPY_CODE);
  cold(`fusion: ${k} copies, cold start from artifact`, [
    ["unfused: deserialize + instantiate + call", fromArtifact.unfused, true],
    ["forced fusion: deserialize + instantiate + call", fromArtifact.fused, false],
  ]);
  const instantiate = copiesInstantiate(k, COPY_CODE);
  for (
    const [name, fn, baseline] of [
      ["unfused", instantiate.unfused, true],
      ["forced fusion", instantiate.fused, false],
    ] as const
  ) {
    Deno.bench({
      name: `${name}: instantiate ${k} copies (×${BATCH})`,
      group: `fusion: ${k} copies, instantiate`,
      baseline,
      ...iterations,
      fn(b) {
        collect?.();
        b.start();
        for (let i = 0; i < BATCH; i++) fn();
        b.end();
      },
    });
  }
}
