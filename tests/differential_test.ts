/**
 * Differential testing: random module-linking programs
 * (`tests/helpers/graph_gen.ts`) must look the same to the host along every
 * path that leads to them: compiled from text or from the binary
 * `parseWat` made, read back from their artifact (`Module.deserialize`,
 * `loadArtifact`), instantiated with `instantiate` or `instantiateSync`,
 * and instantiated again; and refused the same way by hosts that get one
 * import wrong. A failure names the seed; reproduce it with
 * `deno run -A bench/differential_run.ts --seed S --count 1 --print`, which
 * also runs the long version (thousands of seeds).
 *
 * MLINK_DIFF_SEEDS (default 400) and MLINK_DIFF_FIRST (default 1) choose
 * the seeds.
 */

import { assert, assertEquals, assertNotEquals } from "@std/assert";
import { compile } from "../mod.ts";
import {
  comparePaths,
  diff,
  type Feature,
  FEATURES,
  generateProgram,
  type Host,
  type Observation,
  observe,
  type Seen,
  standardHost,
} from "./helpers/graph_gen.ts";

const FIRST = Number(Deno.env.get("MLINK_DIFF_FIRST") ?? 1);
const COUNT = Number(Deno.env.get("MLINK_DIFF_SEEDS") ?? 400);

/**
 * What the runs must have seen happen besides the generator's features, so
 * that the test cannot pass on programs that do nothing observable.
 */
const OUTCOMES = [
  "instantiated",
  "a start function trapped",
  "a host function threw while instantiating",
  "a failed instantiation left host state changed",
  "instantiation changed a host memory",
  "instantiation filled a host table",
  "instantiation changed a host global",
  "a call returned",
  "a call trapped",
  "a function found only in a table was called",
  "a host function passed through",
  "a function exported twice",
  "an exported module read back from its artifact",
  "a host with an import missing was refused",
  "a host with an import of the wrong kind was refused",
  "V8 refused an import for a core module, named in the nested module",
] as const;
type Outcome = typeof OUTCOMES[number];

Deno.test("random programs look the same along every path", async () => {
  const empty = await observe(await compile("(module)"), standardHost);
  const features = new Set<Feature>();
  const outcomes = new Set<Outcome>();
  const failures: string[] = [];
  let fusedByDefault = 0;
  let partByDefault = 0;
  let withSteps = 0;
  let withNested = 0;
  let fusedWithCopies = 0;
  for (let seed = FIRST; seed < FIRST + COUNT; seed++) {
    const program = generateProgram(seed);
    for (const f of program.features) features.add(f);
    let result;
    try {
      result = await comparePaths(program.text);
    } catch (e) {
      failures.push(`seed ${seed}: the program does not compile: ${(e as Error).message}`);
      continue;
    }
    if (result.fused.byDefault) fusedByDefault++;
    if (result.fused.partByDefault) partByDefault++;
    if (result.fused.stepsByDefault) withSteps++;
    if (result.fused.nestedByDefault) withNested++;
    if (result.fused.withCopies) fusedWithCopies++;
    for (const m of result.mismatches) {
      failures.push(`seed ${seed}, ${m.path}:\n    ${m.differences.join("\n    ")}`);
    }
    if (!program.mayTrap && result.base.instantiation !== "ok") {
      failures.push(
        `seed ${seed}: a program drawn not to trap failed: ${result.base.instantiation}`,
      );
    }
    for (const o of outcomesOf(result.base, empty)) outcomes.add(o);
    for (const p of result.paths) {
      const refused = p.observation.instantiation.startsWith("LinkError");
      if (p.name.startsWith("exported module")) {
        outcomes.add("an exported module read back from its artifact");
      }
      if (refused && p.name.endsWith(" missing")) {
        outcomes.add("a host with an import missing was refused");
      }
      if (refused && / a (table|memory)$/.test(p.name)) {
        outcomes.add("a host with an import of the wrong kind was refused");
      }
      if (/LinkError.*module \$top > .*does not match/.test(p.observation.instantiation)) {
        outcomes.add("V8 refused an import for a core module, named in the nested module");
      }
    }
  }
  assertEquals(
    failures,
    [],
    "reproduce one with: deno run -A bench/differential_run.ts --seed S --count 1 --print",
  );
  console.log(
    `fused: ${fusedByDefault} of ${COUNT} programs whole by default, ${partByDefault} more in part ` +
      `(${withSteps} with fused steps, ${withNested} with nested modules fused), ${fusedWithCopies} with copies allowed`,
  );
  // Mixed graphs are compared too: both ways of fusing part of a graph come up.
  assert(withSteps >= COUNT * 0.05, `only ${withSteps} programs made fused steps`);
  assert(withNested >= COUNT * 0.05, `only ${withNested} programs fused nested modules`);
  // Fused and unfused were compared on most programs, not a handful.
  assert(
    fusedWithCopies >= COUNT * 0.8,
    `only ${fusedWithCopies} programs fused with copies allowed`,
  );
  assertEquals(FEATURES.filter((f) => !features.has(f)), [], "features no seed reached");
  assertEquals(OUTCOMES.filter((o) => !outcomes.has(o)), [], "outcomes no seed reached");
});

/** What happened in one observation, among {@linkcode OUTCOMES}. */
function outcomesOf(o: Observation, empty: Observation): Outcome[] {
  const out: Outcome[] = [];
  const hostChanged = (kind: Seen["kind"]) =>
    Object.entries(o.afterInstantiation.host).some(([name, seen]) =>
      seen.kind === kind &&
      JSON.stringify(seen) !== JSON.stringify(empty.afterInstantiation.host[name])
    );
  if (o.instantiation === "ok") out.push("instantiated");
  if (o.instantiation.startsWith("RuntimeError")) out.push("a start function trapped");
  if (o.instantiation.startsWith("Error(")) out.push("a host function threw while instantiating");
  if (hostChanged("memory")) out.push("instantiation changed a host memory");
  if (hostChanged("table")) out.push("instantiation filled a host table");
  if (hostChanged("global")) out.push("instantiation changed a host global");
  if (o.instantiation !== "ok" && (hostChanged("memory") || hostChanged("table"))) {
    out.push("a failed instantiation left host state changed");
  }
  if (o.calls.some((c) => c.outcome.startsWith("="))) out.push("a call returned");
  if (o.calls.some((c) => c.outcome.startsWith("!"))) out.push("a call trapped");
  if (o.calls.some((c) => c.what.startsWith("#"))) {
    out.push("a function found only in a table was called");
  }
  const hosts = new Set(Object.values(o.afterInstantiation.host).map((s) => "id" in s && s.id));
  const funcs = Object.values(o.afterInstantiation.exports ?? {}).filter((s) => s.kind === "func");
  if (funcs.some((s) => "id" in s && hosts.has(s.id))) out.push("a host function passed through");
  const ids = funcs.map((s) => "id" in s && s.id);
  if (new Set(ids).size < ids.length) out.push("a function exported twice");
  return out;
}

Deno.test("the generator is deterministic, and its seeds differ", () => {
  const a = generateProgram(7);
  assertEquals(generateProgram(7).text, a.text);
  assertEquals([...generateProgram(7).features], [...a.features]);
  assertNotEquals(generateProgram(8).text, a.text);
  assertNotEquals(generateProgram(7, { maxDepth: 0 }).text, a.text);
  assert(!generateProgram(7, { maxDepth: 0 }).text.includes("(module $m"));
});

/** A setup that keeps the host it made last, to look at it directly. */
function keeping(): { setup: () => Host; last: () => Host } {
  let last: Host | undefined;
  return { setup: () => (last = standardHost()), last: () => last! };
}

Deno.test("a trap midway leaves what came before it in the host's memory, table and global", async () => {
  const module = await compile(`(module
    (import "env" "mem" (memory $m 1))
    (import "env" "tbl" (table $t 4 funcref))
    (import "env" "g" (global $g (mut i32)))
    (module $ok
      (import "m" (memory 1))
      (data (i32.const 0) "ok")
      (func (export "f") (param i32 i32) (result i32) (i32.const 1)))
    (module $writer
      (import "m" (memory 1))
      (import "t" (table 4 funcref))
      (import "g" (global $g (mut i32)))
      (func $f (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
      (elem (i32.const 1) $f)
      (data (i32.const 16) "first")
      (func $start
        (global.set $g (i32.const 5))
        (i32.store8 (i32.const 32) (i32.const 33))
        (unreachable)
        (i32.store8 (i32.const 33) (i32.const 34)))
      (start $start))
    (instance $a (instantiate $ok (import "m" (memory $m))))
    (instance $b (instantiate $writer
      (import "m" (memory $m)) (import "t" (table $t)) (import "g" (global $g))))
    (export "f" (func $a "f")))`);
  const host = keeping();
  const o = await observe(module, host.setup);
  assertEquals(o.instantiation, "RuntimeError(RuntimeError): unreachable");
  assertEquals(o.afterInstantiation.exports, null);
  // No exports to call; the function the table holds is still called, by arity.
  assertEquals(o.calls.map((c) => [c.args, c.outcome]), [["3, 7", "= 10"]]);
  const { mem, tbl, g } = host.last().objects as {
    mem: WebAssembly.Memory;
    tbl: WebAssembly.Table;
    g: WebAssembly.Global;
  };
  const bytes = new Uint8Array(mem.buffer);
  assertEquals(new TextDecoder().decode(bytes.subarray(0, 2)), "ok");
  assertEquals(new TextDecoder().decode(bytes.subarray(16, 21)), "first");
  assertEquals([bytes[32], bytes[33]], [33, 0]);
  assertEquals(g.value, 5);
  assertEquals(tbl.get(1)!.length, 2);
  const seenTable = o.afterInstantiation.host.tbl as Extract<Seen, { kind: "table" }>;
  assert(seenTable.entries![1] !== null && seenTable.entries![0] === null);
  const emptyHost =
    (await observe(await compile("(module)"), standardHost)).afterInstantiation.host;
  assertNotEquals(o.afterInstantiation.host.mem, emptyHost.mem);
});

Deno.test("the observer records identities, calls and the host's log; diff tells observations apart", async () => {
  const module = await compile(`(module
    (import "env" "log" (func $log (param i32 i32) (result i32)))
    (module $c
      (import "log" (func $log (param i32 i32) (result i32)))
      (func (export "f") (param i32 i32) (result i32) (call $log (local.get 0) (local.get 1))))
    (instance $i (instantiate $c (import "log" (func $log))))
    (export "f" (func $i "f"))
    (export "again" (func $i "f"))
    (export "log" (func $log)))`);
  const o = await observe(module, standardHost);
  assertEquals(o.instantiation, "ok");
  const exports = o.afterInstantiation.exports! as Record<string, { id: number }>;
  assertEquals(exports.f.id, exports.again.id);
  assertEquals(exports.log.id, (o.afterInstantiation.host.hostLog as { id: number }).id);
  assertEquals(o.calls[0], { what: "f", args: "4, 7", outcome: `= ${7 ^ 0x5a}` });
  assert(o.log.includes("log(7)"), o.log.join("\n"));
  assertEquals(diff(o, await observe(module, standardHost, { instantiate: "async" })), []);
  const other = await observe(await compile(`(module)`), standardHost);
  assert(diff(o, other).length > 0);
  assert(diff(o, other, 1).length === 1);
});
