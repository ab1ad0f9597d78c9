/**
 * Structure-aware fuzzing of artifacts (issue 11). Real programs are
 * compiled and serialized, taken apart into their compiled description, and
 * changed where a crafted artifact would lie: module trees with cycles,
 * shared children and orphans, nesting past the limit, huge counts, exports
 * that lie about their kind or do not exist, core modules importing outside
 * the description, deep type chains, and any index or kind at random. Each
 * is written back with a valid checksum, so it reaches every check after the
 * header.
 *
 * Every case must load, or end in `ArtifactError`, `CompileError`,
 * `LinkError` or a trap: never a raw `TypeError` or `RangeError`, never a
 * hang, and never a change to `Object.prototype`, `Object.assign` and the
 * other built-ins an import object could lead to.
 *
 * CI runs a seeded slice of a few hundred cases. The long run:
 *
 * ```sh
 * MLINK_FUZZ_LONG=1 deno test -A tests/fuzz_hostile_test.ts   # 20,000 cases, deeper types
 * MLINK_FUZZ_SEED=7 MLINK_FUZZ_CASES=5000 deno test -A tests/fuzz_hostile_test.ts
 * ```
 */

import { assert, assertEquals, AssertionError, assertStrictEquals } from "@std/assert";
import {
  ArtifactError,
  compile,
  CompileError,
  instantiateSync,
  LinkError,
  Module,
} from "../mod.ts";
import { loadArtifact } from "../lib/loader.ts";
import { readArtifact } from "../lib/artifact/read.ts";
import { writeArtifact } from "../lib/artifact/write.ts";
import type { ModuleGraph } from "../lib/artifact/format.ts";
import type { ImportDesc } from "../lib/ir.ts";
import type { EntityType } from "../lib/types.ts";
import { MAX_TYPE_DEPTH } from "../lib/limits.ts";
import { prng } from "../bench/workloads.ts";
import {
  bin,
  code,
  ex,
  exports,
  func,
  funcs,
  imp,
  imports,
  memories,
  types,
} from "./helpers/build.ts";
import { SEED_PROGRAMS } from "./helpers/fuzz_seeds.ts";

function env(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

const LONG = env("MLINK_FUZZ_LONG") === "1";
const SEED = Number(env("MLINK_FUZZ_SEED") ?? 20261126);
const CASES = Number(env("MLINK_FUZZ_CASES") ?? (LONG ? 20_000 : 400));
/** Deepest type chain a case adds, past the limit the reader enforces; the long run goes to 20,000. */
const DEEPEST_CHAIN = LONG ? 20_000 : 2 * MAX_TYPE_DEPTH;
/** Most entries a "huge count" mutation adds. */
const MAX_HUGE = LONG ? 200_000 : 20_000;
/** A case that takes longer than this is as good as a hang. */
const CASE_BUDGET_MS = 5_000;

// ---- the description, mutable ----------------------------------------------

/** A deep, mutable copy of a type: what mutations work on. */
type Draft<T> = T extends Uint8Array ? T
  : T extends readonly (infer U)[] ? Draft<U>[]
  : T extends object ? { -readonly [K in keyof T]: Draft<T[K]> }
  : T;

type Graph = Draft<ModuleGraph>;
type Blob = Graph["blobs"][number];
type DraftModule = Blob["modules"][number];
type Named = Blob["types"]["modules"][number]["exports"][number];

/** A copy of `graph` to mutate; core bytes are copied too. */
function draftOf(graph: ModuleGraph): Graph {
  return {
    blobs: graph.blobs.map((b) => ({
      types: {
        funcs: structuredClone(b.types.funcs),
        modules: structuredClone(b.types.modules),
        instances: structuredClone(b.types.instances),
      },
      modules: b.modules.map((m) => ({
        ...structuredClone({ ...m, core: null }),
        core: m.core === null ? null : m.core.slice(),
      })),
      root: b.root,
    })) as unknown as Graph["blobs"],
    nodes: structuredClone(graph.nodes) as Graph["nodes"],
    root: graph.root,
  };
}

function bytesOf(graph: Graph): Uint8Array {
  return writeArtifact(graph as unknown as ModuleGraph);
}

// ---- the programs mutated --------------------------------------------------

const SEED_TEXTS = [
  ...SEED_PROGRAMS,
  `(module
    (import "env" "log" (func $log (param i32)))
    (import "env" "mem" (memory 1))
    (import "env" "seed" (global i32))
    (import "deps" (instance $deps (export "twice" (func (param i32) (result i32)))))
    (func $start (call $log (global.get 0)))
    (start $start)
    (func (export "run") (result i32) (i32.load (i32.const 0)))
    (export "deps" (instance $deps)))`,
  `(module
    (import "exc" "e" (tag $e (param i32)))
    (import "exc" "throw" (func $throw (param i32)))
    (tag $own (export "own"))
    (instance $i (export "e" (tag $e)) (export "throw" (func $throw)))
    (module $child
      (import "i" (instance $i (export "e" (tag (param i32))) (export "throw" (func (param i32)))))
      (alias $i "e" (tag $e))
      (alias $i "throw" (func $throw))
      (func (export "catch") (param i32) (result i32)
        (try (result i32) (do (call $throw (local.get 0)) (i32.const -1)) (catch $e))))
    (instance $c (instantiate $child (import "i" (instance $i))))
    (export "i" (instance $i))
    (export "e" (tag $e))
    (export "catch" (func $c "catch")))`,
  `(module $a (module $b (module $c (module $d
      (func (export "f") (result i32) i32.const 4))
      (instance $i (instantiate $d)) (export "f" (func $i "f")))
    (instance $i (instantiate $c)) (export "f" (func $i "f")))
    (instance $i (instantiate $b)) (export "f" (func $i "f")))`,
];

/** Host values that let the seeds instantiate as they are. */
function seedImports(): Record<string, unknown> {
  const twice = (x: number) => 2 * x;
  return {
    env: {
      log: () => {},
      mem: new WebAssembly.Memory({ initial: 1 }),
      seed: 3,
    },
    deps: { twice },
    exc: { e: newTag(["i32"]), throw: () => {} },
  };
}

/** A new `WebAssembly.Tag` (which TypeScript's declarations lack) of these value types. */
function newTag(parameters: string[]): unknown {
  const { Tag } = WebAssembly as unknown as {
    Tag: new (type: { parameters: string[] }) => unknown;
  };
  return new Tag({ parameters });
}

/** Thrown by the host functions of the fuzz: a start function that calls the host ends here. */
class HostCalled extends Error {}

/**
 * A host import object that provides every name, at every depth: each value
 * is a function (so it is a function import, or an object of exports with
 * every name). Deep instance types are walked all the way down.
 */
function everywhere(): Record<string, unknown> {
  const target = () => {
    throw new HostCalled("a host function was called");
  };
  const handler: ProxyHandler<typeof target> = {
    getOwnPropertyDescriptor: (t, name) =>
      typeof name === "symbol" || name === "length" || name === "name"
        ? Reflect.getOwnPropertyDescriptor(t, name)
        : { value: anything, writable: true, enumerable: true, configurable: true },
    get: (t, name) => (typeof name === "symbol" ? Reflect.get(t, name) : anything),
    has: () => true,
  };
  const anything: typeof target = new Proxy(target, handler);
  return new Proxy({}, {
    getOwnPropertyDescriptor: (_, name) =>
      typeof name === "symbol"
        ? undefined
        : { value: anything, writable: true, enumerable: true, configurable: true },
    get: (_, name) => (typeof name === "symbol" ? undefined : anything),
    has: () => true,
  });
}

const EXTERNREF = 0x6f;
const externGlobal: ImportDesc = { kind: 3, type: { type: EXTERNREF, mutable: false } };
const i32Global: ImportDesc = { kind: 3, type: { type: 0x7f, mutable: false } };

/** Core modules a crafted artifact might carry in place of a real one. */
const HOSTILE_CORES: readonly Uint8Array[] = [
  bin(imports(imp("constructor", "prototype", externGlobal)), exports(ex("f", 3, 0))),
  bin(types(func([EXTERNREF], [])), imports(imp("constructor", "assign", { kind: 0, type: 0 }))),
  bin(
    types(func([EXTERNREF], [])),
    imports(imp("constructor", "freeze", { kind: 0, type: 0 }), imp("", "0", externGlobal)),
  ),
  bin(types(func([], [])), imports(imp("", "constructor", { kind: 0, type: 0 }))),
  bin(imports(imp("", "length", i32Global)), exports(ex("f", 3, 0))),
  bin(imports(imp("", "__proto__", externGlobal))),
  bin(
    imports(
      imp("", "0", { kind: 2, type: { limits: { min: 0 }, shared: false, memory64: false } }),
    ),
  ),
  bin(types(func([], [])), imports(imp("", "0", { kind: 0, type: 0 }), imp("", "1", i32Global))),
  bin(memories(1), exports(ex("f", 2, 0), ex("__proto__", 2, 0), ex("constructor", 2, 0))),
  bin(types(func([], [])), funcs(0), exports(ex("f", 0, 0)), code([0x00])),
  // A start function that recurses until the stack runs out.
  bin(types(func([], [])), funcs(0), { id: 8, func: 0 }, code([0x10, 0])),
  bin(),
  new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0x0a]),
];

// ---- mutations -------------------------------------------------------------

type Random = () => number;

interface Ctx {
  readonly random: Random;
  /** A module of another artifact, for module imports across blobs. */
  readonly foreign: readonly Module[];
}

const int = (random: Random, n: number) => Math.floor(random() * n);
/** Every entity kind an artifact holds: func, table, memory, global, tag, module, instance. */
const KINDS = [0, 1, 2, 3, 4, 5, 6] as const;
const pick = <T>(random: Random, list: readonly T[]): T => list[int(random, list.length)];
/** A size from 1 to `max`, most often small. */
const size = (random: Random, max: number) => 1 + Math.floor(max ** random());

function someModule(g: Graph, random: Random): { blob: Blob; index: number; m: DraftModule } {
  const blob = pick(random, g.blobs);
  const index = int(random, blob.modules.length);
  return { blob, index, m: blob.modules[index] };
}

function emptyModule(): DraftModule {
  return {
    name: "",
    core: null,
    initializers: [],
    exports: [],
    imports: [],
    type: 0,
    instanceType: 0,
    upvars: [],
    children: [],
    fusion: null,
  } as DraftModule;
}

/** A blob's root module; module 0 when an earlier mutation sent the root out of range. */
function rootOf(blob: Blob): DraftModule {
  return blob.modules[blob.root] ?? blob.modules[0];
}

/** Empty module and instance types at the end of a blob's tables, for new modules. */
function emptyTypes(blob: Blob): { type: number; instanceType: number } {
  return {
    type: blob.types.modules.push({ imports: [], exports: [] }) - 1,
    instanceType: blob.types.instances.push({ exports: [] }) - 1,
  };
}

/** Appends `n` empty modules to a blob; returns the first one's index. */
function appendModules(blob: Blob, n: number): number {
  const { type, instanceType } = emptyTypes(blob);
  const first = blob.modules.length;
  for (let i = 0; i < n; i++) blob.modules.push({ ...emptyModule(), type, instanceType });
  return first;
}

/** How many values of each kind the initializers of `m` push. */
function spaceCounts(m: DraftModule): number[] {
  const counts = [0, 0, 0, 0, 0, 0, 0];
  for (const init of m.initializers) {
    if (init.op === "import" || init.op === "alias") counts[init.kind]++;
    else if (init.op === "upvar" || init.op === "module") counts[5]++;
    else counts[6]++;
  }
  return counts;
}

/** A chain of instance types `depth` deep ending in `(export "x" (func))`; returns the top. */
function instanceChain(blob: Blob, depth: number): number {
  const f = blob.types.funcs.push({ params: [], results: [] }) - 1;
  let top = blob.types.instances.push({ exports: [{ name: "x", type: { kind: 0, type: f } }] }) - 1;
  for (let k = 1; k < depth; k++) {
    top = blob.types.instances.push({ exports: [{ name: "i", type: { kind: 6, type: top } }] }) - 1;
  }
  return top;
}

/**
 * A chain of module types `depth` deep, T(0) = (module), T(k) = (module
 * (export "m" T(k-1))), and on top of it the type of a module that takes T
 * and gives T: `(module (import "x" T) (export "m" T))`. Matching two such
 * types walks both chains. Returns the top type and T.
 */
function moduleChain(blob: Blob, depth: number): { top: number; chain: number } {
  const modules = blob.types.modules;
  let chain = modules.push({ imports: [], exports: [] }) - 1;
  for (let k = 1; k < depth; k++) {
    chain =
      modules.push({ imports: [], exports: [{ name: "m", type: { kind: 5, type: chain } }] }) - 1;
  }
  const t = { kind: 5, type: chain } as const;
  const top =
    modules.push({ imports: [{ name: "x", type: t }], exports: [{ name: "m", type: t }] }) - 1;
  return { top, chain };
}

/** A module of type `moduleChain(depth).top`, in an artifact of its own. */
function provider(depth: number): Module {
  const blob: Blob = {
    types: { funcs: [], modules: [], instances: [] },
    modules: [],
    root: 0,
  } as unknown as Blob;
  const { top, chain } = moduleChain(blob, depth);
  const t = { kind: 5, type: chain } as const;
  blob.modules.push({
    ...emptyModule(),
    type: top,
    instanceType: blob.types.instances.push({ exports: [{ name: "m", type: t }] }) - 1,
    initializers: [{ op: "import", name: "x", kind: 5 }],
    exports: [{ name: "m", kind: 5, index: 0, local: false }],
    imports: [{ module: "x", field: null, type: t }],
  });
  return Module.deserialize(
    bytesOf({ blobs: [blob], nodes: [{ blob: 0, module: 0, upvars: [] }], root: 0 }),
  );
}

/**
 * Gives a blob's root module one more import, `name` of type `type`, in its
 * module type, its initializers (at the end, so no index moves) and its
 * written imports.
 */
function addImport(blob: Blob, name: string, type: Draft<EntityType>): void {
  const root = rootOf(blob);
  const old = blob.types.modules[root.type] ?? { imports: [], exports: [] };
  root.type = blob.types.modules.push({
    imports: [...old.imports, { name, type } as Named],
    exports: old.exports,
  }) - 1;
  root.initializers.push({ op: "import", name, kind: type.kind as 0 });
  root.imports.push({ module: name, field: null, type } as DraftModule["imports"][number]);
}

const MUTATIONS: Record<string, (g: Graph, ctx: Ctx) => void> = {
  cycle(g, { random }) {
    const { m, index } = someModule(g, random);
    m.children.push(int(random, index + 1));
  },
  sharedChild(g, { random }) {
    const blob = pick(random, g.blobs);
    const parents = blob.modules.filter((m) => m.children.length > 0);
    if (parents.length === 0) return;
    const child = pick(random, pick(random, parents).children);
    blob.modules[int(random, child)].children.push(child);
  },
  orphan(g, { random }) {
    const blob = pick(random, g.blobs);
    const parents = blob.modules.filter((m) => m.children.length > 0);
    if (parents.length > 0) pick(random, parents).children.pop();
    else appendModules(blob, 1);
  },
  fanout(g, { random }) {
    // Each module of a chain lists the next one twice: 2^depth paths.
    const blob = pick(random, g.blobs);
    const depth = 10 + int(random, 30);
    const first = appendModules(blob, depth);
    rootOf(blob).children.push(first);
    for (let i = 0; i < depth - 1; i++) {
      blob.modules[first + i].children.push(first + i + 1, first + i + 1);
    }
  },
  deepNesting(g, { random }) {
    const blob = pick(random, g.blobs);
    const depth = pick(random, [90, 99, 100, 101, 150, LONG ? 50_000 : 5_000]);
    const first = appendModules(blob, depth);
    rootOf(blob).children.push(first);
    for (let i = 0; i < depth - 1; i++) blob.modules[first + i].children.push(first + i + 1);
  },
  manyChildren(g, { random }) {
    const blob = pick(random, g.blobs);
    const n = size(random, MAX_HUGE);
    const first = appendModules(blob, n);
    const root = rootOf(blob);
    for (let i = 0; i < n; i++) root.children.push(first + i);
  },
  manyInstantiations(g, { random }) {
    // A closed child, created once and instantiated n times: the instance cap stops it.
    const blob = pick(random, g.blobs);
    const child = appendModules(blob, 1);
    const root = rootOf(blob);
    root.children.push(child);
    const space = spaceCounts(root)[5];
    root.initializers.push({ op: "module", compiled: child });
    const n = size(random, MAX_HUGE);
    for (let i = 0; i < n; i++) {
      root.initializers.push({ op: "instantiate", module: space, args: [] });
    }
  },
  manyAliases(g, { random }) {
    const blob = pick(random, g.blobs);
    const m = blob.modules[int(random, blob.modules.length)];
    const instances = spaceCounts(m)[6];
    if (instances === 0) return;
    const n = size(random, MAX_HUGE);
    for (let i = 0; i < n; i++) {
      m.initializers.push({ op: "alias", instance: int(random, instances), name: "f", kind: 0 });
    }
  },
  hugeType(g, { random }) {
    const blob = pick(random, g.blobs);
    const n = size(random, LONG ? 150_000 : 30_000);
    const exports: Named[] = [];
    for (let i = 0; i < n; i++) {
      exports.push({ name: `e${i}`, type: { kind: 0, type: 0 } } as Named);
    }
    if (blob.types.funcs.length === 0) blob.types.funcs.push({ params: [], results: [] });
    const type = blob.types.instances.push({ exports }) - 1;
    addImport(blob, "huge", { kind: 6, type });
  },
  deepInstanceType(g, { random }) {
    const blob = pick(random, g.blobs);
    addImport(blob, "deep", { kind: 6, type: instanceChain(blob, size(random, DEEPEST_CHAIN)) });
  },
  deepModuleType(g, { random }) {
    const blob = pick(random, g.blobs);
    addImport(blob, "deepm", {
      kind: 5,
      type: moduleChain(blob, size(random, DEEPEST_CHAIN)).top,
    });
  },
  typeCycle(g, { random }) {
    const blob = pick(random, g.blobs);
    const n = blob.types.instances.length;
    blob.types.instances.push({
      exports: [{ name: "c", type: { kind: 6, type: n + int(random, 2) } }],
    });
    blob.types.instances.push({ exports: [{ name: "c", type: { kind: 6, type: n } }] });
  },
  lieExportKind(g, { random }) {
    const { m } = someModule(g, random);
    if (m.exports.length === 0) return;
    pick(random, m.exports).kind = pick(random, KINDS);
  },
  lieExportLocal(g, { random }) {
    const { m } = someModule(g, random);
    if (m.exports.length === 0) return;
    const e = pick(random, m.exports);
    e.local = !e.local;
  },
  lieExportName(g, { random }) {
    const { blob, m } = someModule(g, random);
    if (m.exports.length === 0) return;
    const i = int(random, m.exports.length);
    const name = pick(random, ["__proto__", "constructor", "missing", m.exports[0].name]);
    const where = int(random, 3);
    if (where !== 1) m.exports[i].name = name;
    if (where !== 0) {
      const promised = blob.types.modules[m.type]?.exports[i];
      if (promised) promised.name = name;
      const instance = blob.types.instances[m.instanceType]?.exports[i];
      if (instance) instance.name = name;
    }
  },
  dropExport(g, { random }) {
    const { blob, m } = someModule(g, random);
    if (m.exports.length === 0) return;
    const i = int(random, m.exports.length);
    m.exports.splice(i, 1);
    if (random() < 0.7) {
      blob.types.modules[m.type]?.exports.splice(i, 1);
      blob.types.instances[m.instanceType]?.exports.splice(i, 1);
    }
  },
  swapCore(g, { random }) {
    const a = someModule(g, random).m;
    const b = someModule(g, random).m;
    [a.core, b.core] = [b.core, a.core];
  },
  hostileCore(g, { random }) {
    someModule(g, random).m.core = pick(random, HOSTILE_CORES).slice();
  },
  randomIndex(g, { random }) {
    const { blob, m } = someModule(g, random);
    const r = (n: number) => int(random, n + 3);
    const choice = int(random, 8);
    if (choice === 0 && m.initializers.length > 0) {
      const init = pick(random, m.initializers);
      if (init.op === "alias") init.instance = r(4);
      else if (init.op === "upvar") init.index = r(m.upvars.length);
      else if (init.op === "module") init.compiled = r(blob.modules.length);
      else if (init.op === "instantiate") {
        if (init.args.length > 0 && random() < 0.5) pick(random, init.args).index = r(4);
        else init.module = r(4);
      } else if (init.op === "instance") {
        if (init.exports.length > 0 && random() < 0.5) pick(random, init.exports).index = r(4);
        else init.type = r(4);
      } else init.kind = pick(random, KINDS);
    } else if (choice === 1 && m.exports.length > 0) {
      pick(random, m.exports).index = r(4);
    } else if (choice === 2 && m.upvars.length > 0) {
      const u = pick(random, m.upvars);
      u.index = r(4);
      if (random() < 0.3) u.from = u.from === "space" ? "upvar" : "space";
    } else if (choice === 3) {
      m.type = r(blob.types.modules.length);
    } else if (choice === 4) {
      m.instanceType = r(blob.types.instances.length);
    } else if (choice === 5) {
      const node = pick(random, g.nodes);
      if (node.upvars.length > 0 && random() < 0.5) {
        node.upvars[int(random, node.upvars.length)] = r(g.nodes.length);
      } else node.module = r(g.blobs[node.blob].modules.length);
    } else if (choice === 6) {
      g.root = r(g.nodes.length);
    } else {
      blob.root = r(blob.modules.length);
    }
  },
  kinds(g, { random }) {
    // An import or argument of another kind than the module type says.
    const { m } = someModule(g, random);
    for (const init of m.initializers) {
      if (init.op === "instantiate" && init.args.length > 0 && random() < 0.5) {
        pick(random, init.args).kind = pick(random, KINDS);
        return;
      }
      if (init.op === "instance" && init.exports.length > 0 && random() < 0.5) {
        pick(random, init.exports).kind = pick(random, KINDS);
        return;
      }
    }
    const imports = m.initializers.filter((i) => i.op === "import" || i.op === "alias");
    if (imports.length === 0) return;
    const init = pick(random, imports);
    if (init.op === "import" || init.op === "alias") {
      init.kind = pick(random, KINDS);
    }
  },
  instanceOfItems(g, { random }) {
    // An instance made of items that may not exist, of any kind, under any name.
    const { m } = someModule(g, random);
    const counts = spaceCounts(m);
    const exports: { name: string; kind: typeof KINDS[number]; index: number }[] = [];
    for (let i = size(random, 8); i > 0; i--) {
      const kind = pick(random, KINDS);
      const name = pick(random, ["x", "__proto__", "constructor", `e${i}`]);
      exports.push({ name, kind, index: int(random, counts[kind] + 2) });
    }
    // Its instance type: an index that may be out of range, or list other exports.
    m.initializers.push({ op: "instance", exports, type: int(random, 4) });
  },
  names(g, { random }) {
    const { m } = someModule(g, random);
    m.name = pick(random, ["__proto__", "constructor", "module $x > y", "x".repeat(10_000), ""]);
  },
  sharedNodes(g, { random }) {
    // Module values that close over the same value, or over ones read later.
    const node = pick(random, g.nodes);
    g.nodes.push({ blob: node.blob, module: node.module, upvars: [...node.upvars] });
    if (random() < 0.5) g.root = g.nodes.length - 1;
  },
};

const MUTATION_NAMES = Object.keys(MUTATIONS);

// ---- running a case --------------------------------------------------------

const BUILTINS = {
  assign: Object.assign,
  freeze: Object.freeze,
  objectKeys: Reflect.ownKeys(Object.prototype).length,
  arrayKeys: Reflect.ownKeys(Array.prototype).length,
  functionKeys: Reflect.ownKeys(Function.prototype).length,
  Function: Function,
};

/** Nothing a module could have reached through an import object changed. */
function assertBuiltinsUntouched(what: string): void {
  assert(Object.isExtensible(Object.prototype), `${what}: Object.prototype was frozen`);
  assertStrictEquals(Object.assign, BUILTINS.assign, `${what}: Object.assign replaced`);
  assertStrictEquals(Object.freeze, BUILTINS.freeze, `${what}: Object.freeze replaced`);
  assertStrictEquals(globalThis.Function, BUILTINS.Function, `${what}: Function replaced`);
  assertEquals(Reflect.ownKeys(Object.prototype).length, BUILTINS.objectKeys, what);
  assertEquals(Reflect.ownKeys(Array.prototype).length, BUILTINS.arrayKeys, what);
  assertEquals(Reflect.ownKeys(Function.prototype).length, BUILTINS.functionKeys, what);
  assertStrictEquals(Object.getPrototypeOf({}), Object.prototype, what);
}

function typed(e: unknown): boolean {
  return e instanceof ArtifactError || e instanceof CompileError || e instanceof LinkError ||
    e instanceof WebAssembly.RuntimeError || e instanceof HostCalled;
}

function check(e: unknown, what: string): void {
  if (typed(e)) return;
  const err = e as Error;
  throw new AssertionError(`${what}: raw ${err?.name}: ${err?.message}\n${err?.stack}`);
}

/** What happened to one case, for the counts at the end. */
type Outcome = "rejected" | "loaded" | "instantiated";

async function runCase(bytes: Uint8Array, ctx: Ctx, what: string): Promise<Outcome> {
  let module: Module;
  try {
    module = Module.deserialize(bytes);
  } catch (e) {
    check(e, what);
    return "rejected";
  }
  let outcome: Outcome = "loaded";
  try {
    module.imports();
    module.exports();
    Module.deserialize(module.serialize());
  } catch (e) {
    check(e, `${what} (describe or serialize)`);
  }
  const cyclic: Record<string, unknown> = { x: () => {} };
  cyclic.i = cyclic;
  const hosts = [
    seedImports(),
    everywhere(),
    { deep: cyclic, deepm: pick(ctx.random, ctx.foreign) },
  ];
  for (const host of hosts) {
    try {
      instantiateSync(module, host, { maxInstances: 100 });
      outcome = "instantiated";
    } catch (e) {
      check(e, `${what} (instantiate)`);
    }
  }
  try {
    await loadArtifact(bytes);
  } catch (e) {
    check(e, `${what} (loadArtifact)`);
  }
  return outcome;
}

Deno.test({
  name: `hostile artifacts with valid checksums end in typed errors (seed ${SEED}, ${CASES} cases)`,
  async fn() {
    const random = prng(SEED);
    const seeds: ModuleGraph[] = [];
    for (const text of SEED_TEXTS) seeds.push(readArtifact((await compile(text)).serialize()));
    // A closure over a module of another blob: a graph of two blobs and nodes with upvars.
    const factory = await compile(`(module
      (import "m" (module $M (export "f" (func (result i32)))))
      (module $closure (instance $i (instantiate (module outer 0 $M))) (export "f" (func $i "f")))
      (export "closure" (module $closure)))`);
    const leaf = await compile(`(module (func (export "f") (result i32) i32.const 7))`);
    let closure = leaf;
    for (let i = 0; i < 3; i++) {
      closure = instantiateSync(factory, { m: closure }).exports.closure as Module;
    }
    seeds.push(readArtifact(closure.serialize()));
    // Modules of deep types from other artifacts, for module imports across blobs.
    const foreign: Module[] = [leaf, closure, provider(10), provider(MAX_TYPE_DEPTH - 2)];
    const ctx: Ctx = { random, foreign };

    const outcomes: Record<Outcome, number> = { rejected: 0, loaded: 0, instantiated: 0 };
    const started = performance.now();
    for (let n = 0; n < CASES; n++) {
      const g = draftOf(pick(random, seeds));
      const applied: string[] = [];
      const count = 1 + int(random, 3);
      for (let k = 0; k < count; k++) {
        const name = pick(random, MUTATION_NAMES);
        MUTATIONS[name](g, ctx);
        applied.push(name);
      }
      const what = `seed ${SEED} case ${n} [${applied.join(", ")}]`;
      const bytes = bytesOf(g);
      const caseStarted = performance.now();
      outcomes[await runCase(bytes, ctx, what)]++;
      const took = performance.now() - caseStarted;
      assert(took < CASE_BUDGET_MS, `${what}: took ${Math.round(took)} ms`);
      assertBuiltinsUntouched(what);
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`${CASES} cases in ${seconds} s: ${JSON.stringify(outcomes)}`);
    // The mutations must leave some artifacts loadable, or only the reader was tested.
    assert(outcomes.loaded + outcomes.instantiated > CASES / 10, JSON.stringify(outcomes));
    assert(outcomes.instantiated > 0, JSON.stringify(outcomes));
  },
});
