/**
 * Fused steps (`docs/fusion.md`, "Fused steps"), compared with separate
 * instances over generated programs: a top level that mixes instances of a
 * module the host gives with sibling instances of its own modules, instances
 * of exports, aliases and late imports, so that runs of siblings fuse as
 * steps next to run-time instances. Each program runs fused, fused from its
 * artifact, and unfused, with the same host values, without a limit and
 * with an instance budget that may stop it midway; the three must agree on
 * every export (called, read, and which are the same object) and on the
 * order the start functions ran in, or fail alike.
 *
 * `MLINK_STEPS_SEEDS` (default 300) and `MLINK_STEPS_FIRST` (default 1)
 * choose the seeds.
 */

import { assert, assertEquals } from "@std/assert";
import { compile, instantiateSync, Module } from "../mod.ts";
import { Rng } from "./helpers/graph_gen.ts";

const FIRST = Number(Deno.env.get("MLINK_STEPS_FIRST") ?? 1);
const COUNT = Number(Deno.env.get("MLINK_STEPS_SEEDS") ?? 300);

/** What an instance argument of a sibling exports. */
const INSTANCE_TYPE = `(instance (export "f" (func (result i32))))`;

/** A sibling module: what it imports, and whether it has code of its own. */
interface Sibling {
  readonly name: string;
  readonly takesFunc: boolean;
  readonly takesInstance: boolean;
  readonly takesGlobal: boolean;
  readonly code: boolean;
}

function siblingText(s: Sibling, k: number, rng: Rng): string {
  const parts = [`(module ${s.name}`, `(import "log" (func $log (param i32)))`];
  if (s.takesFunc) parts.push(`(import "f" (func $f (result i32)))`);
  if (s.takesInstance) {
    parts.push(`(import "i" ${INSTANCE_TYPE.replace("(instance", "(instance $i")})`);
  }
  if (s.takesGlobal) parts.push(`(import "g" (global $g i32))`);
  if (s.takesInstance) parts.push(`(alias $i "f" (func $if))`);
  // Every sibling exports `f`: its own, or the one it takes.
  if (s.code) {
    const calls = [
      s.takesFunc ? "(drop (call $f))" : "",
      s.takesInstance ? "(drop (call $if))" : "",
    ];
    parts.push(
      `(func (export "f") (result i32) (i32.const ${10 + k}))`,
      `(global $own (export "g") i32 (i32.const ${20 + k}))`,
      `(export "g again" (global $own))`,
      `(func $start (call $log (i32.const ${100 + k})) ${calls.join(" ")}) (start $start)`,
    );
  } else {
    parts.push(`(export "f" (func $f))`);
  }
  if (s.takesFunc && s.code && rng.chance(0.5)) parts.push(`(export "f taken" (func $f))`);
  if (s.takesInstance && rng.chance(0.6)) parts.push(`(export "i" (instance $i))`);
  if (s.takesGlobal && rng.chance(0.5)) parts.push(`(export "g taken" (global $g))`);
  return parts.join(" ") + ")";
}

/** A generated top level: its text, and the late imports it declares. */
function generate(seed: number): string {
  const rng = new Rng(seed);
  const pick = <T>(list: readonly T[]): T => list[rng.int(list.length)];
  const out = [
    `(import "host" "log" (func $log (param i32)))`,
    `(import "plugin" (module $plugin (import "log" (func (param i32)))
      (export "f" (func (result i32))) (export "g" (global i32))))`,
  ];
  const siblings: Sibling[] = [];
  const count = rng.range(2, 5);
  for (let k = 0; k < count; k++) {
    const takesFunc = rng.chance(0.5);
    const code = !takesFunc || rng.chance(0.8);
    const s: Sibling = {
      name: `$m${k}`,
      takesFunc: takesFunc || !code,
      takesInstance: rng.chance(0.5),
      takesGlobal: rng.chance(0.4),
      code,
    };
    siblings.push(s);
    out.push(siblingText(s, k, rng));
  }
  const funcs: string[] = [];
  const instances: string[] = [];
  const globals: string[] = [];
  let n = 0;
  const alias = (from: string, name: string, kind: string, into: string[]) => {
    const id = `$v${n++}`;
    out.push(`(alias ${from} "${name}" (${kind} ${id}))`);
    into.push(id);
  };
  for (let step = rng.range(4, 12); step > 0; step--) {
    const roll = rng.int(100);
    if (roll < 45) {
      const s = pick(siblings);
      if ((s.takesFunc && funcs.length === 0) || (s.takesInstance && instances.length === 0)) {
        continue;
      }
      if (s.takesGlobal && globals.length === 0) continue;
      const id = `$x${n++}`;
      const args = [`(import "log" (func $log))`];
      if (s.takesFunc) args.push(`(import "f" (func ${pick(funcs)}))`);
      if (s.takesInstance) args.push(`(import "i" (instance ${pick(instances)}))`);
      if (s.takesGlobal) args.push(`(import "g" (global ${pick(globals)}))`);
      out.push(`(instance ${id} (instantiate ${s.name} ${args.join(" ")}))`);
      instances.push(id);
      if (rng.chance(0.7)) alias(id, "f", "func", funcs);
      if (s.code && rng.chance(0.5)) alias(id, pick(["g", "g again"]), "global", globals);
    } else if (roll < 58) {
      const id = `$x${n++}`;
      out.push(`(instance ${id} (instantiate $plugin (import "log" (func $log))))`);
      instances.push(id);
      alias(id, "f", "func", funcs);
      if (rng.chance(0.5)) alias(id, "g", "global", globals);
    } else if (roll < 78) {
      if (funcs.length === 0) continue;
      const id = `$x${n++}`;
      out.push(`(instance ${id} (export "f" (func ${pick(funcs)})))`);
      instances.push(id);
    } else if (roll < 90) {
      const id = `$late${n++}`;
      out.push(`(import "late func ${n}" (func ${id} (result i32)))`);
      funcs.push(id);
    } else {
      const id = `$late${n++}`;
      out.push(`(import "late global ${n}" (global ${id} i32))`);
      globals.push(id);
    }
  }
  let e = 0;
  for (const id of instances) out.push(`(export "e${e++}" (instance ${id}))`);
  for (const id of funcs) out.push(`(export "e${e++}" (func ${id}))`);
  for (const id of globals) out.push(`(export "e${e++}" (global ${id}))`);
  return `(module\n  ${out.join("\n  ")})`;
}

/**
 * Everything a run shows: each export, called or read, with the first
 * path each object was reached by (so identities compare), and the log.
 */
function observe(exports: Record<string, unknown>, log: readonly number[]): string {
  const seen = new Map<unknown, string>();
  const lines: string[] = [];
  const walk = (value: unknown, path: string) => {
    if (value !== null && (typeof value === "object" || typeof value === "function")) {
      const first = seen.get(value);
      if (first !== undefined) return void lines.push(`${path} is ${first}`);
      seen.set(value, path);
    }
    if (typeof value === "function") {
      lines.push(`${path}: function returning ${(value as () => number)()}`);
    } else if (value instanceof WebAssembly.Global) {
      lines.push(`${path}: global ${value.value}`);
    } else if (value !== null && typeof value === "object" && "exports" in value) {
      lines.push(`${path}: instance`);
      const inner = (value as { exports: Record<string, unknown> }).exports;
      for (const [name, item] of Object.entries(inner)) walk(item, `${path}.${name}`);
    } else {
      lines.push(`${path}: ${String(value)}`);
    }
  };
  for (const [name, value] of Object.entries(exports)) walk(value, name);
  lines.push(`log: ${log.join(" ")}`);
  return lines.join("\n");
}

Deno.test("fused steps behave as separate instances, over generated programs", async () => {
  const plugin = await compile(`(module (import "log" (func $log (param i32)))
    (func (export "f") (result i32) (i32.const 99)) (global (export "g") i32 (i32.const 98))
    (func $start (call $log (i32.const 1))) (start $start))`);
  let withSteps = 0;
  const failures: string[] = [];
  for (let seed = FIRST; seed < FIRST + COUNT; seed++) {
    const text = generate(seed);
    const fused = await compile(text);
    if (fused.fusion().steps !== undefined) withSteps++;
    // One set of host values for the three runs, so that identities compare.
    const late: Record<string, unknown> = {};
    for (const imp of fused.imports()) {
      if (imp.module.startsWith("late func")) late[imp.module] = () => 7;
      if (imp.module.startsWith("late global")) {
        late[imp.module] = new WebAssembly.Global({ value: "i32" }, 3);
      }
    }
    const modules = [
      fused,
      Module.deserialize(fused.serialize()),
      await compile(text, { fuse: false }),
    ];
    // Without a limit, and with an instance budget that may stop the program midway.
    for (const maxInstances of [undefined, 2 + (seed % 7)]) {
      const runs = modules.map((module) => {
        const log: number[] = [];
        try {
          const { exports } = instantiateSync(module, {
            host: { log: (x: number) => log.push(x) },
            plugin,
            ...late,
          }, { maxInstances });
          return observe(exports, log);
        } catch (e) {
          return `${(e as Error).name}: ${(e as Error).message}\nlog: ${log.join(" ")}`;
        }
      });
      if (runs[0] !== runs[2] || runs[1] !== runs[2]) {
        failures.push(
          `seed ${seed}, maxInstances ${maxInstances}:\n${text}\n` +
            `--- fused:\n${runs[0]}\n--- unfused:\n${runs[2]}`,
        );
      }
    }
  }
  assertEquals(failures, []);
  console.log(`${withSteps} of ${COUNT} programs made fused steps`);
  assert(withSteps >= COUNT * 0.2, `only ${withSteps} programs made fused steps`);
});
