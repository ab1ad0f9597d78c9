/**
 * Seeded random module-linking programs, and an observer that runs one and
 * writes down everything a host can see, so that two ways of getting to the
 * same program (text or binary, compiled or from an artifact, `instantiate`
 * or `instantiateSync`, and later fused or not) can be compared.
 *
 * The generator is valid by construction: it keeps a model of every item's
 * type (`Ty`) and only emits what the model says the compiler accepts. It
 * also keeps two run-time promises, so that what a program does is worth
 * comparing:
 *
 * - Every call terminates. Each function's first parameter is a depth, every
 *   call passes `depth - 1`, and a function returns a constant at depth 0.
 * - Only chosen places trap. Functions of nested modules are trap-free:
 *   addresses are masked into the first page (every memory has at least
 *   one), and every table holds functions of one signature only (its `sig`
 *   in the model), so a `call_indirect` guarded by a bounds and a null check
 *   cannot fail. Traps are put on purpose into start functions and segments
 *   (only in programs drawn as trapping), and into the top-level module's
 *   own functions, which only the host calls.
 *
 * @module
 */

import {
  compile,
  compileSync,
  type Imports,
  instantiate,
  instantiateSync,
  loadArtifact,
  Module,
  parseWat,
} from "../../mod.ts";
import { fused } from "../../lib/api.ts";
import { moduleParts } from "../../lib/runtime/module.ts";

// ---------------------------------------------------------------------------
// Randomness

/** A small seeded PRNG: sfc32, its state filled by splitmix32 from the seed. */
export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const split = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.#a = split();
    this.#b = split();
    this.#c = split();
    this.#d = split();
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** A uniform 32-bit unsigned integer. */
  u32(): number {
    const t = (((this.#a + this.#b) >>> 0) + this.#d) >>> 0;
    this.#d = (this.#d + 1) >>> 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) >>> 0;
    this.#c = ((this.#c << 21) | (this.#c >>> 11)) >>> 0;
    this.#c = (this.#c + t) >>> 0;
    return t;
  }

  /** A whole number in `[0, n)`. */
  int(n: number): number {
    return Math.floor((this.u32() / 4294967296) * n);
  }

  /** A whole number in `[lo, hi]`. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.u32() / 4294967296 < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("pick from nothing");
    return items[this.int(items.length)];
  }

  /** Up to `k` distinct items, in random order. */
  sample<T>(items: readonly T[], k: number): T[] {
    const copy = [...items];
    const out: T[] = [];
    while (out.length < k && copy.length > 0) out.push(copy.splice(this.int(copy.length), 1)[0]);
    return out;
  }
}

// ---------------------------------------------------------------------------
// The type model

/**
 * The function signatures every program uses. The first parameter is always
 * the call depth; `s3` is the start functions' `(func)`.
 */
type Sig = "s0" | "s1" | "s2";
const SIGS: readonly Sig[] = ["s0", "s1", "s2"];
const SIG_TEXT: Readonly<Record<Sig, string>> = {
  s0: "(param i32 i32) (result i32)",
  s1: "(param i32 i64) (result i64)",
  s2: "(param i32)",
};
const SIG_HEADER: Readonly<Record<Sig, string>> = {
  s0: "(param $d i32) (param $x i32) (result i32)",
  s1: "(param $d i32) (param $x i64) (result i64)",
  s2: "(param $d i32)",
};
const TYPE_DEFS = [
  ...SIGS.map((s) => `(type $${s} (func ${SIG_TEXT[s]}))`),
  "(type $s3 (func))",
];

type Val = "i32" | "i64";

/**
 * An item's type as the generator knows it. Memories are all at least one
 * page and declared `(memory 1)`; tables at least four elements, declared
 * `(table 4 funcref)`, and `sig` is the one signature their elements have.
 */
type Ty =
  | { readonly kind: "func"; readonly sig: Sig }
  | { readonly kind: "memory" }
  | { readonly kind: "table"; readonly sig: Sig }
  | { readonly kind: "global"; readonly val: Val; readonly mutable: boolean }
  | { readonly kind: "instance"; readonly exports: readonly Named[] }
  | ModuleTy;
type ModuleTy = {
  readonly kind: "module";
  readonly imports: readonly Named[];
  readonly exports: readonly Named[];
};
interface Named {
  readonly name: string;
  readonly type: Ty;
}
type Kind = Ty["kind"];

/** The type in text, as an import, an export type or an instantiate argument declares it. */
function typeText(t: Ty, id = ""): string {
  const name = id === "" ? "" : ` ${id}`;
  const entries = (word: string, list: readonly Named[]) =>
    list.map((e) => ` (${word} ${JSON.stringify(e.name)} ${typeText(e.type)})`).join("");
  switch (t.kind) {
    case "func":
      return `(func${name} ${SIG_TEXT[t.sig]})`;
    case "memory":
      return `(memory${name} 1)`;
    case "table":
      return `(table${name} 4 funcref)`;
    case "global":
      return `(global${name} ${t.mutable ? `(mut ${t.val})` : t.val})`;
    case "instance":
      return `(instance${name}${entries("export", t.exports)})`;
    case "module":
      return `(module${name}${entries("import", t.imports)}${entries("export", t.exports)})`;
    default: {
      const _: never = t;
      return _;
    }
  }
}

/** Whether an item of type `have` may be given where `want` is expected. */
function subtype(have: Ty, want: Ty): boolean {
  switch (want.kind) {
    case "func":
    case "table":
      return have.kind === want.kind && have.sig === want.sig;
    case "memory":
      return have.kind === "memory";
    case "global":
      return have.kind === "global" && have.val === want.val && have.mutable === want.mutable;
    case "instance":
      return have.kind === "instance" && covers(have.exports, want.exports);
    case "module":
      return have.kind === "module" && covers(have.exports, want.exports) &&
        have.imports.every((h) => {
          const w = want.imports.find((i) => i.name === h.name);
          return w !== undefined && subtype(w.type, h.type);
        });
    default: {
      const _: never = want;
      return _;
    }
  }
}

function covers(have: readonly Named[], want: readonly Named[]): boolean {
  return want.every((w) => {
    const h = have.find((e) => e.name === w.name);
    return h !== undefined && subtype(h.type, w.type);
  });
}

/** A supertype of `t`: some exports of instances and modules left out. */
function weaken(rng: Rng, t: Ty): Ty {
  const some = (list: readonly Named[]) =>
    list.filter(() => rng.chance(0.75)).map((e) => ({ name: e.name, type: weaken(rng, e.type) }));
  if (t.kind === "instance") return { kind: "instance", exports: some(t.exports) };
  if (t.kind === "module") return { kind: "module", imports: t.imports, exports: some(t.exports) };
  return t;
}

// ---------------------------------------------------------------------------
// Features

/** What a program can use; the differential test checks that seeds reach them all. */
export const FEATURES = [
  "nested-module",
  "nested-depth-2",
  "instantiate",
  "instantiate-twice",
  "instantiate-path-module",
  "extra-argument",
  "arg-func",
  "arg-memory",
  "arg-table",
  "arg-global",
  "arg-instance",
  "arg-module",
  "alias-export",
  "alias-inverted",
  "alias-path",
  "alias-inline-call",
  "alias-outer-module",
  "alias-outer-type",
  "instance-of-exports",
  "instance-import",
  "module-import",
  "two-level-import",
  "host-func",
  "host-memory",
  "host-table",
  "host-global",
  "host-immutable-global",
  "host-instance",
  "shared-imported-memory",
  "imported-table",
  "imported-mutable-global",
  "own-memory",
  "own-table",
  "own-mutable-global",
  "multi-memory",
  "data-segment",
  "data-segment-imported-memory",
  "elem-segment",
  "elem-segment-imported-table",
  "call-cross-instance",
  "call-indirect",
  "table-set",
  "memory-grow",
  "memory-bulk",
  "start",
  "start-trap-unreachable",
  "start-trap-memory",
  "start-trap-table",
  "start-trap-call-indirect",
  "start-trap-divide",
  "start-trap-host",
  "data-segment-out-of-bounds",
  "elem-segment-out-of-bounds",
  "export-twice",
  "export-host-func",
  "export-instance",
  "export-module",
  "export-memory",
  "export-table",
  "export-global",
  "top-trap-in-call",
] as const;

/** One of {@linkcode FEATURES}. */
export type Feature = typeof FEATURES[number];

// ---------------------------------------------------------------------------
// The generator

/** Options of {@linkcode generateProgram}. */
export interface GenerateOptions {
  /** Deepest nesting of modules below the top-level one (default 2). */
  maxDepth?: number;
  /** Chance that a program is drawn as one that may trap while instantiating (default 0.35). */
  trapChance?: number;
  /**
   * Whether data segments may initialize any memory, not only memory 0
   * (default true). wabt 1.0.39 encodes an active data segment of memory 1
   * or above without its memory index; the text front-end repairs that
   * (lib/text/data_memory.ts), and this keeps the repair under test.
   */
  dataInAnyMemory?: boolean;
}

/** A generated program. */
export interface Program {
  readonly seed: number;
  /** The module-linking text. */
  readonly text: string;
  /** What it uses. */
  readonly features: ReadonlySet<Feature>;
  /**
   * Whether instantiating it may fail: only such programs have traps in
   * start functions and segments out of bounds. Any other instantiates.
   */
  readonly mayTrap: boolean;
}

/**
 * A random module-linking program, the same for the same seed and options.
 * It imports what {@linkcode standardHost} provides.
 */
export function generateProgram(seed: number, options: GenerateOptions = {}): Program {
  const mayTrap = new Rng(seed ^ 0x5bd1e995).chance(options.trapChance ?? 0.35);
  const gen = new Generator(new Rng(seed), {
    maxDepth: options.maxDepth ?? 2,
    dataInAnyMemory: options.dataInAnyMemory ?? true,
    trappy: mayTrap,
  });
  return { seed, text: gen.program(), features: gen.features, mayTrap };
}

/**
 * An item a module can name: `base` is a `$name` of its index spaces, and
 * `path` the exports to follow from it (an instance's export, or an export
 * of an exported instance).
 */
interface Item {
  readonly base: string;
  readonly path: readonly string[];
  readonly type: Ty;
}

function refOf(item: Item): string {
  return [item.base, ...item.path.map((p) => JSON.stringify(p))].join(" ");
}

/** An outer alias a child module is to make and instantiate: the arguments are in its imports. */
interface OuterPlan {
  readonly scope: string;
  readonly module: string;
  readonly type: ModuleTy;
}

/** A module being generated. */
class Scope {
  /** Items instantiate arguments, aliases and exports may use. */
  readonly pool: Item[] = [];
  /** Named modules, which nested modules may alias. */
  readonly modules: { name: string; type: ModuleTy }[] = [];
  readonly lines: string[] = [];
  /** How many times each module (by reference) was instantiated here. */
  readonly instantiations = new Map<string, number>();
  /** How many instances each memory (by reference) was given to. */
  readonly memoryArgs = new Map<string, number>();
  /**
   * The memory index space, in order. Memories are never named by a path
   * (whose alias the text front-end places itself), so this is known.
   */
  readonly memories: string[] = [];

  constructor(
    readonly name: string,
    readonly parent: Scope | null,
    readonly depth: number,
  ) {}

  get top(): boolean {
    return this.parent === null;
  }

  emit(line: string): void {
    this.lines.push(line);
  }

  /** Adds an item, and the exports of an instance as items with paths (two levels). */
  add(item: Item): void {
    this.pool.push(item);
    if (item.type.kind === "memory" && item.path.length === 0) this.memories.push(item.base);
    if (item.type.kind === "instance" && item.path.length < 2) {
      for (const e of item.type.exports) {
        this.add({ base: item.base, path: [...item.path, e.name], type: e.type });
      }
    }
  }

  ancestors(): Scope[] {
    return [this, ...(this.parent?.ancestors() ?? [])];
  }
}

/** A function core code may call. */
interface Callee {
  /** What follows `call`: `$f`, or `(func $i "x")` (inline alias). */
  readonly target: string;
  readonly sig: Sig;
  /** A `$name` in the function index space, so `ref.func` and elem segments may use it. */
  readonly named: boolean;
  /** Cannot trap (the top-level module's own functions may). */
  readonly safe: boolean;
}

/** What core code of a module may use. */
interface Core {
  readonly callees: Callee[];
  readonly memories: string[];
  readonly tables: { name: string; sig: Sig }[];
  readonly globals: { name: string; val: Val; mutable: boolean }[];
  /** Functions `ref.func` names, to declare. */
  readonly declared: Set<string>;
  readonly hostFail: string | null;
}

const KIND_PREFIX: Readonly<Record<Kind, string>> = {
  func: "a",
  memory: "am",
  table: "at",
  global: "ag",
  instance: "ai",
  module: "o",
};

class Generator {
  readonly features = new Set<Feature>();
  readonly #rng: Rng;
  readonly #maxDepth: number;
  readonly #trappy: boolean;
  readonly #dataInAnyMemory: boolean;
  /** Whether the top-level module imports the host function that throws. */
  #hostFail = false;
  #next = 0;

  constructor(
    rng: Rng,
    options: { maxDepth: number; trappy: boolean; dataInAnyMemory: boolean },
  ) {
    this.#rng = rng;
    this.#maxDepth = options.maxDepth;
    this.#trappy = options.trappy;
    this.#dataInAnyMemory = options.dataInAnyMemory;
  }

  program(): string {
    const top = new Scope("$top", null, 0);
    this.#module(top, [], []);
    return `(module $top\n${top.lines.map((l) => `  ${l}`).join("\n")}\n)\n`;
  }

  #fresh(prefix: string): string {
    return `$${prefix}${this.#next++}`;
  }

  #note(feature: Feature): void {
    this.features.add(feature);
  }

  /** Writes the fields of `scope`, which imports `imports`; returns its exports. */
  #module(scope: Scope, imports: readonly Named[], outer: readonly OuterPlan[]): Named[] {
    const rng = this.#rng;
    // Types: the module's own, or its ancestor's through outer aliases.
    if (scope.parent !== null && rng.chance(0.4)) {
      const from = rng.pick(scope.ancestors().slice(1));
      for (const s of [...SIGS, "s3"]) scope.emit(`(alias outer ${from.name} $${s} (type $${s}))`);
      this.#note("alias-outer-type");
    } else {
      for (const line of TYPE_DEFS) scope.emit(line);
    }
    const must: Item[] = [];
    if (scope.top) this.#hostImports(scope);
    for (const imp of imports) {
      const id = this.#fresh("p");
      scope.emit(`(import ${JSON.stringify(imp.name)} ${typeText(imp.type, id)})`);
      const item = { base: id, path: [], type: imp.type };
      scope.add(item);
      if (imp.type.kind === "module") {
        scope.modules.push({ name: id, type: imp.type });
        must.push(item);
      }
      if (imp.type.kind === "instance") this.#note("instance-import");
      if (imp.type.kind === "module") this.#note("module-import");
    }
    for (const plan of outer) {
      const id = this.#fresh("o");
      scope.emit(`(alias outer ${plan.scope} ${plan.module} (module ${id}))`);
      this.#note("alias-outer-module");
      const item = { base: id, path: [], type: plan.type };
      scope.add(item);
      scope.modules.push({ name: id, type: plan.type });
      must.push(item);
    }
    const steps = scope.top ? rng.range(3, 6) : rng.range(0, 3);
    for (let i = 0; i < steps; i++) this.#linkingStep(scope);
    for (const item of must) {
      if (!scope.instantiations.has(refOf(item))) this.#instantiate(scope, item);
    }
    if ([...scope.memoryArgs.values()].some((n) => n >= 2)) this.#note("shared-imported-memory");
    return this.#coreAndExports(scope);
  }

  #hostImports(scope: Scope): void {
    const rng = this.#rng;
    const two = (name: string, ty: Ty, id: string, feature: Feature) => {
      scope.emit(`(import "env" ${JSON.stringify(name)} ${typeText(ty, id)})`);
      scope.add({ base: id, path: [], type: ty });
      this.#note(feature);
      this.#note("two-level-import");
    };
    two("log", { kind: "func", sig: "s0" }, "$log", "host-func");
    if (rng.chance(0.6)) two("log1", { kind: "func", sig: "s2" }, "$log1", "host-func");
    if (rng.chance(0.5)) two("mix64", { kind: "func", sig: "s1" }, "$mix64", "host-func");
    if (rng.chance(0.8)) two("mem", { kind: "memory" }, "$hmem", "host-memory");
    if (rng.chance(0.7)) two("tbl", { kind: "table", sig: "s0" }, "$htbl", "host-table");
    const g = { kind: "global", val: "i32", mutable: true } as const;
    if (rng.chance(0.7)) two("g", g, "$hg", "host-global");
    const g64 = { kind: "global", val: "i64", mutable: true } as const;
    if (rng.chance(0.4)) two("g64", g64, "$hg64", "host-global");
    const k = { kind: "global", val: "i32", mutable: false } as const;
    if (rng.chance(0.3)) two("k", k, "$hk", "host-immutable-global");
    if (this.#trappy && rng.chance(0.5)) {
      // Not in the pool: only the top-level module's start function calls it.
      scope.emit(`(import "env" "fail" (func $fail (type $s2)))`);
      this.#hostFail = true;
    }
    if (rng.chance(0.6)) {
      const all: Named[] = [
        { name: "mul", type: { kind: "func", sig: "s0" } },
        { name: "mem2", type: { kind: "memory" } },
        { name: "tbl2", type: { kind: "table", sig: "s1" } },
        { name: "k", type: { kind: "global", val: "i32", mutable: false } },
      ];
      const type: Ty = { kind: "instance", exports: all.filter(() => rng.chance(0.7)) };
      scope.emit(`(import "host" ${typeText(type, "$host")})`);
      scope.add({ base: "$host", path: [], type });
      this.#note("host-instance");
    }
  }

  /** One step of the linking part: a new child, an instance, an alias or an instance of exports. */
  #linkingStep(scope: Scope): void {
    const rng = this.#rng;
    const choices: (() => void)[] = [];
    if (scope.depth < this.#maxDepth) {
      choices.push(() => this.#child(scope), () => this.#child(scope));
    }
    const modules = scope.pool.filter((i) => i.type.kind === "module");
    if (modules.length > 0) choices.push(() => this.#instantiate(scope, rng.pick(modules)));
    const paths = scope.pool.filter((i) => i.path.length > 0);
    if (paths.length > 0) choices.push(() => this.#alias(scope, rng.pick(paths)));
    if (scope.pool.length > 0) choices.push(() => this.#instanceOfExports(scope));
    const outer = scope.ancestors().slice(1).flatMap((s) =>
      s.modules.map((m) => ({ scope: s.name, ...m }))
    );
    if (outer.length > 0) {
      choices.push(() => {
        // Not planned: instantiated only if this module happens to have the arguments.
        const m = rng.pick(outer);
        const id = this.#fresh("o");
        scope.emit(`(alias outer ${m.scope} ${m.name} (module ${id}))`);
        this.#note("alias-outer-module");
        scope.add({ base: id, path: [], type: m.type });
        scope.modules.push({ name: id, type: m.type });
      });
    }
    if (choices.length > 0) rng.pick(choices)();
  }

  /** Arguments from `scope` for `imports`, or `null` when one cannot be found. */
  #arguments(scope: Scope, imports: readonly Named[]): { name: string; item: Item }[] | null {
    const out: { name: string; item: Item }[] = [];
    for (const imp of imports) {
      const fits = scope.pool.filter((i) => subtype(i.type, imp.type));
      if (fits.length === 0) return null;
      out.push({ name: imp.name, item: this.#rng.pick(fits) });
    }
    return out;
  }

  /** Defines a nested module whose imports `scope` can satisfy, and instantiates it. */
  #child(scope: Scope): void {
    const rng = this.#rng;
    const imports: Named[] = [];
    const args: { name: string; item: Item }[] = [];
    const give = (item: Item, type: Ty) => {
      const name = `p${imports.length}`;
      imports.push({ name, type });
      args.push({ name, item });
    };
    // What a module argument or a planned outer alias needs, given as imports too.
    const supply = (needs: readonly Named[]): boolean => {
      const found = this.#arguments(scope, needs);
      if (found === null) return false;
      for (const a of found) give(a.item, a.item.type);
      return true;
    };
    for (const item of rng.sample(scope.pool, rng.range(0, 4))) {
      if (item.type.kind === "module" && this.#arguments(scope, item.type.imports) === null) {
        continue;
      }
      give(item, weaken(rng, item.type));
      if (item.type.kind === "module") supply(item.type.imports);
    }
    const outer: OuterPlan[] = [];
    const visible = scope.ancestors().flatMap((s) =>
      s.modules.map((m) => ({ scope: s.name, module: m.name, type: m.type }))
    );
    if (visible.length > 0 && rng.chance(0.35)) {
      const plan = rng.pick(visible);
      if (supply(plan.type.imports)) outer.push(plan);
    }
    const id = this.#fresh("m");
    const child = new Scope(id, scope, scope.depth + 1);
    const exports = this.#module(child, imports, outer);
    this.#note(child.depth >= 2 ? "nested-depth-2" : "nested-module");
    scope.emit(`(module ${id}`);
    for (const line of child.lines) scope.emit(`  ${line}`);
    scope.emit(`)`);
    const type: ModuleTy = { kind: "module", imports, exports };
    const item = { base: id, path: [], type };
    scope.add(item);
    scope.modules.push({ name: id, type });
    this.#instantiate(scope, item, args);
    if (rng.chance(0.3)) this.#instantiate(scope, item);
  }

  /** Instantiates module `item` with `args`, or with arguments found in the pool. */
  #instantiate(scope: Scope, item: Item, given?: { name: string; item: Item }[]): void {
    const rng = this.#rng;
    if (item.type.kind !== "module") return;
    const args = given ?? this.#arguments(scope, item.type.imports);
    if (args === null) return;
    const id = this.#fresh("i");
    const ref = refOf(item);
    const times = (scope.instantiations.get(ref) ?? 0) + 1;
    scope.instantiations.set(ref, times);
    if (times >= 2) this.#note("instantiate-twice");
    this.#note("instantiate");
    const parts = args.map(({ name, item }) => ({ name, item: this.#named(scope, item) })).map(
      (a) => {
        const kind = a.item.type.kind;
        this.#note(`arg-${kind}` as Feature);
        if (a.item.path.length > 0) this.#note("alias-path");
        if (kind === "memory") {
          const key = refOf(a.item);
          scope.memoryArgs.set(key, (scope.memoryArgs.get(key) ?? 0) + 1);
        }
        return `(import ${JSON.stringify(a.name)} (${kind} ${refOf(a.item)}))`;
      },
    );
    if (scope.pool.length > 0 && rng.chance(0.15)) {
      const extra = this.#named(scope, rng.pick(scope.pool));
      parts.push(`(import "unused" (${extra.type.kind} ${refOf(extra)}))`);
      this.#note("extra-argument");
    }
    let target = ref;
    if (item.path.length > 0 || rng.chance(0.3)) {
      target = `(module ${ref})`;
      if (item.path.length > 0) this.#note("instantiate-path-module");
    }
    scope.emit(`(instance ${id} (instantiate ${target}${parts.map((p) => ` ${p}`).join("")}))`);
    scope.add({ base: id, path: [], type: { kind: "instance", exports: item.type.exports } });
  }

  /** An explicit alias of an instance export (either form); returns the new item. */
  #alias(scope: Scope, item: Item): Item {
    const kind = item.type.kind;
    const id = this.#fresh(KIND_PREFIX[kind]);
    const last = JSON.stringify(item.path[item.path.length - 1]);
    const instance = item.path.length === 1
      ? item.base
      : `(instance ${refOf({ ...item, path: item.path.slice(0, -1) })})`;
    if (this.#rng.chance(0.5)) {
      scope.emit(`(alias ${instance} ${last} (${kind} ${id}))`);
      this.#note("alias-export");
    } else {
      scope.emit(`(${kind} ${id} (alias ${instance} ${last}))`);
      this.#note("alias-inverted");
    }
    if (item.path.length > 1) this.#note("alias-path");
    const made = { base: id, path: [], type: item.type };
    scope.add(made);
    if (item.type.kind === "module") scope.modules.push({ name: id, type: item.type });
    return made;
  }

  /** `item`, or for a memory named by a path, an alias of it (see `Scope.memories`). */
  #named(scope: Scope, item: Item): Item {
    return item.type.kind === "memory" && item.path.length > 0 ? this.#alias(scope, item) : item;
  }

  #instanceOfExports(scope: Scope): void {
    const picked = this.#rng.sample(scope.pool, this.#rng.range(0, 3))
      .map((item) => this.#named(scope, item));
    const id = this.#fresh("e");
    const exports = picked.map((item, n) => ({ name: `y${n}`, type: item.type }));
    const fields = picked.map((item, n) => ` (export "y${n}" (${item.type.kind} ${refOf(item)}))`);
    scope.emit(`(instance ${id}${fields.join("")})`);
    this.#note("instance-of-exports");
    scope.add({ base: id, path: [], type: { kind: "instance", exports } });
  }

  /** The core part of `scope` (definitions, segments, start) and its exports. */
  #coreAndExports(scope: Scope): Named[] {
    const rng = this.#rng;
    const pool = () => scope.pool.filter((i) => i.path.length === 0);
    const ofKind = <K extends Kind>(items: Item[], kind: K) =>
      items.filter((i): i is Item & { type: Extract<Ty, { kind: K }> } => i.type.kind === kind);
    // Bring a few exports of instances into the index spaces, for core code.
    const paths = scope.pool.filter((i) =>
      i.path.length > 0 && ["func", "memory", "table", "global"].includes(i.type.kind)
    );
    for (const item of rng.sample(paths, rng.range(0, 3))) this.#alias(scope, item);
    // Items of the pool to export, chosen now: a memory's alias must precede own memories.
    const reexports = rng.sample(scope.pool, scope.top ? rng.range(1, 4) : rng.range(0, 2))
      .map((item) => this.#named(scope, item));
    const callees: Callee[] = ofKind(pool(), "func").map((i) => ({
      target: i.base,
      sig: i.type.sig,
      named: true,
      safe: true,
    }));
    for (const item of rng.sample(ofKind(scope.pool, "func").filter((i) => i.path.length > 0), 2)) {
      callees.push({
        target: `(func ${refOf(item)})`,
        sig: item.type.sig,
        named: false,
        safe: true,
      });
    }
    const core: Core = {
      callees,
      memories: ofKind(pool(), "memory").map((i) => i.base),
      tables: ofKind(pool(), "table").map((i) => ({ name: i.base, sig: i.type.sig })),
      globals: ofKind(pool(), "global").map((i) => ({ name: i.base, ...i.type })),
      declared: new Set(),
      hostFail: scope.top && this.#hostFail ? "$fail" : null,
    };
    if (core.tables.length > 0) this.#note("imported-table");
    if (core.globals.some((g) => g.mutable)) this.#note("imported-mutable-global");
    const defs: string[] = [];
    const ownMemories: string[] = [];
    if (core.memories.length === 0 ? rng.chance(0.85) : rng.chance(0.3)) {
      const id = this.#fresh("mem");
      defs.push(`(memory ${id} 1 2)`);
      core.memories.push(id);
      scope.memories.push(id);
      ownMemories.push(id);
      this.#note("own-memory");
    }
    if (core.memories.length > 1) this.#note("multi-memory");
    if (core.tables.length === 0 ? rng.chance(0.7) : rng.chance(0.3)) {
      const id = this.#fresh("t");
      const sig = rng.pick(SIGS);
      defs.push(`(table ${id} ${rng.pick([4, 8])} funcref)`);
      core.tables.push({ name: id, sig });
      this.#note("own-table");
    }
    for (let n = rng.range(0, 2); n > 0; n--) {
      const id = this.#fresh("g");
      const val: Val = rng.chance(0.7) ? "i32" : "i64";
      const mutable = rng.chance(0.8);
      const init = `(${val}.const ${rng.range(-50, 500)})`;
      defs.push(`(global ${id} ${mutable ? `(mut ${val})` : val} ${init})`);
      core.globals.push({ name: id, val, mutable });
      if (mutable) this.#note("own-mutable-global");
    }
    // Own functions: trap-free in nested modules; in the top-level one, the host's probes.
    const own = Array.from(
      { length: scope.top ? rng.range(2, 4) : rng.range(1, 3) },
      () => ({
        name: this.#fresh("f"),
        sig: scope.top ? rng.pick(["s0", "s0", "s1"] as Sig[]) : rng.pick(SIGS),
      }),
    );
    for (const f of own) {
      core.callees.push({ target: f.name, sig: f.sig, named: true, safe: !scope.top });
    }
    for (const f of own) {
      const body = new Body(rng, core, (feature) => this.#note(feature), {
        unsafe: scope.top,
        x: f.sig === "s0" ? "i32" : f.sig === "s1" ? "i64" : null,
      });
      defs.push(body.func(f.name, f.sig));
    }
    // The host function that throws is there to be called by a start function.
    if (core.hostFail !== null || rng.chance(0.5)) {
      const id = this.#fresh("st");
      const body = new Body(rng, core, (feature) => this.#note(feature), {
        unsafe: false,
        x: null,
      });
      defs.push(body.start(id, this.#trappy && rng.chance(core.hostFail !== null ? 0.5 : 0.35)));
      defs.push(`(start ${id})`);
      this.#note("start");
    }
    // Segments.
    const named = core.callees.filter((c) => c.named && c.safe);
    for (const t of core.tables) {
      const fits = named.filter((c) => c.sig === t.sig);
      if (fits.length === 0 || !rng.chance(0.6)) continue;
      const count = rng.range(1, 2);
      let offset = rng.range(0, 4 - count);
      if (this.#trappy && rng.chance(0.12)) {
        offset = 1000;
        this.#note("elem-segment-out-of-bounds");
      }
      const funcs = Array.from({ length: count }, () => rng.pick(fits).target);
      defs.push(`(elem (table ${t.name}) (i32.const ${offset}) func ${funcs.join(" ")})`);
      this.#note("elem-segment");
      if (!t.name.startsWith("$t")) this.#note("elem-segment-imported-table");
    }
    for (const m of core.memories) {
      if (!rng.chance(0.5) || (!this.#dataInAnyMemory && m !== scope.memories[0])) continue;
      let offset = rng.pick([0, 8, 16, 32, 64, 256, 1000, 4096, 65000]) + rng.range(0, 7);
      if (this.#trappy && rng.chance(0.12)) {
        offset = 200000;
        this.#note("data-segment-out-of-bounds");
      }
      const bytes = Array.from({ length: rng.range(1, 12) }, () => rng.int(256));
      const data = bytes.map((b) => `\\${b.toString(16).padStart(2, "0")}`).join("");
      defs.push(`(data (memory ${m}) (i32.const ${offset}) "${data}")`);
      this.#note("data-segment");
      if (!ownMemories.includes(m)) this.#note("data-segment-imported-memory");
    }
    if (core.declared.size > 0) defs.push(`(elem declare func ${[...core.declared].join(" ")})`);
    for (const d of defs) scope.emit(d);
    return this.#exports(scope, core, own, reexports);
  }

  #exports(
    scope: Scope,
    core: Core,
    own: { name: string; sig: Sig }[],
    reexports: Item[],
  ): Named[] {
    const rng = this.#rng;
    const exports: Named[] = [];
    const funcs: { ref: string; type: Ty }[] = [];
    const add = (kind: Kind, ref: string, type: Ty, name = `x${exports.length}`) => {
      scope.emit(`(export ${JSON.stringify(name)} (${kind} ${ref}))`);
      exports.push({ name, type });
      if (kind === "func") funcs.push({ ref, type });
      if (kind === "instance" || kind === "module") this.#note(`export-${kind}`);
      if (kind === "memory" || kind === "table" || kind === "global") this.#note(`export-${kind}`);
    };
    const keep = scope.top ? 1 : 0.7;
    for (const f of own) {
      if (rng.chance(keep)) add("func", f.name, { kind: "func", sig: f.sig });
    }
    const share = scope.top ? 0.9 : 0.4;
    for (const m of core.memories) if (rng.chance(share)) add("memory", m, { kind: "memory" });
    for (const t of core.tables) {
      if (rng.chance(share)) add("table", t.name, { kind: "table", sig: t.sig });
    }
    for (const g of core.globals) {
      if (rng.chance(share)) {
        add("global", g.name, { kind: "global", val: g.val, mutable: g.mutable });
      }
    }
    for (const item of reexports) add(item.type.kind, refOf(item), item.type);
    if (funcs.length > 0 && rng.chance(scope.top ? 0.5 : 0.15)) {
      const again = rng.pick(funcs);
      add("func", again.ref, again.type);
      this.#note("export-twice");
    }
    if (scope.top && scope.pool.some((i) => i.base === "$log") && rng.chance(0.5)) {
      add("func", "$log", { kind: "func", sig: "s0" }, "hostlog");
      this.#note("export-host-func");
    }
    return exports;
  }
}

const I32_BINOPS = [
  "add",
  "sub",
  "mul",
  "and",
  "or",
  "xor",
  "shl",
  "shr_s",
  "shr_u",
  "rotl",
  "rotr",
  "eq",
  "ne",
  "lt_s",
  "lt_u",
  "gt_s",
  "ge_u",
];
const I64_BINOPS = ["add", "sub", "mul", "and", "or", "xor", "shl", "shr_u", "rotl"];

/** Masks that keep an address (plus an offset below 8 and 8 bytes) inside the first page. */
const MASKS = [0x3f0, 0x70, 0xfff0];

/** One function body being generated. */
class Body {
  readonly #rng: Rng;
  readonly #core: Core;
  readonly #note: (feature: Feature) => void;
  readonly #unsafe: boolean;
  readonly #x: Val | null;
  readonly #locals: string[] = [];
  #calls = 0;

  constructor(
    rng: Rng,
    core: Core,
    note: (feature: Feature) => void,
    options: { unsafe: boolean; x: Val | null },
  ) {
    this.#rng = rng;
    this.#core = core;
    this.#note = note;
    this.#unsafe = options.unsafe;
    this.#x = options.x;
  }

  func(name: string, sig: Sig): string {
    const rng = this.#rng;
    const stop = sig === "s0" ? "(i32.const 5)" : sig === "s1" ? "(i64.const 5)" : "";
    const lines = [
      `(if (i32.le_s (local.get $d) (i32.const 0)) (then (return${
        stop === "" ? "" : ` ${stop}`
      })))`,
    ];
    for (let n = rng.range(0, 3); n > 0; n--) lines.push(this.#stmt(2));
    if (this.#unsafe && rng.chance(0.3)) lines.push(this.#probeTrap());
    if (sig === "s0") lines.push(this.#i32(3));
    if (sig === "s1") lines.push(this.#i64(3));
    return this.#assemble(`(func ${name} (type $${sig}) ${SIG_HEADER[sig]}`, lines);
  }

  /** A start function: writes, maybe a trap midway, more writes. */
  start(name: string, trap: boolean): string {
    const rng = this.#rng;
    const d = this.#local("d");
    const lines = [`(local.set ${d} (i32.const 3))`];
    for (let n = rng.range(1, 3); n > 0; n--) lines.push(this.#stmt(2));
    if (trap) lines.push(this.#startTrap());
    for (let n = rng.range(0, 2); n > 0; n--) lines.push(this.#stmt(2));
    return this.#assemble(`(func ${name} (type $s3)`, lines);
  }

  #assemble(head: string, lines: string[]): string {
    const locals = this.#locals.map((l) => ` (local ${l} i32)`).join("");
    return `${head}${locals}\n    ${lines.join("\n    ")})`;
  }

  #local(name?: string): string {
    const id = name === undefined ? `$c${this.#locals.length}` : `$${name}`;
    this.#locals.push(id);
    return id;
  }

  #depth(): string {
    return "(i32.sub (local.get $d) (i32.const 1))";
  }

  #callees(sig: Sig): Callee[] {
    if (this.#calls >= 3) return [];
    return this.#core.callees.filter((c) => c.sig === sig && (this.#unsafe || c.safe));
  }

  #addr(budget: number): string {
    return `(i32.and ${this.#i32(budget)} (i32.const ${this.#rng.pick(MASKS)}))`;
  }

  #call(callee: Callee, arg: string): string {
    this.#calls++;
    if (!callee.named) this.#note("alias-inline-call");
    if (callee.target.startsWith("$p") || callee.target.startsWith("$a") || !callee.named) {
      this.#note("call-cross-instance");
    }
    return `(call ${callee.target} ${this.#depth()}${arg === "" ? "" : ` ${arg}`})`;
  }

  /** A `call_indirect` that only calls a non-null element within bounds. */
  #callIndirect(sig: Sig, budget: number): string {
    const rng = this.#rng;
    this.#calls++;
    this.#note("call-indirect");
    const t = rng.pick(this.#core.tables.filter((t) => t.sig === sig));
    const arg = sig === "s0"
      ? ` ${this.#i32(budget)}`
      : sig === "s1"
      ? ` ${this.#i64(budget)}`
      : "";
    const index = rng.chance(0.5) ? `(i32.const ${rng.range(0, 9)})` : this.#i32(budget);
    if (this.#unsafe && rng.chance(0.4)) {
      return `(call_indirect ${t.name} (type $${sig}) ${this.#depth()}${arg} ${index})`;
    }
    const i = this.#local();
    const call = `(call_indirect ${t.name} (type $${sig}) ${this.#depth()}${arg} (local.get ${i}))`;
    const inBounds = `(i32.lt_u (local.tee ${i} ${index}) (table.size ${t.name}))`;
    const isNull = `(ref.is_null (table.get ${t.name} (local.get ${i})))`;
    if (sig === "s2") return `(if ${inBounds} (then (if (i32.eqz ${isNull}) (then ${call}))))`;
    const r = sig === "s0" ? "i32" : "i64";
    const none = `(${r}.const 11)`;
    return `(if (result ${r}) ${inBounds} (then (if (result ${r}) ${isNull} (then ${none}) (else ${call}))) (else ${none}))`;
  }

  #i32(budget: number): string {
    const rng = this.#rng;
    const core = this.#core;
    const b = budget - 1;
    if (budget <= 0 || rng.chance(0.25)) return this.#i32Leaf();
    const options: (() => string)[] = [
      () => `(i32.${rng.pick(I32_BINOPS)} ${this.#i32(b)} ${this.#i32(b)})`,
      () => `(i32.div_u ${this.#i32(b)} (i32.or ${this.#i32(b)} (i32.const 1)))`,
      () => `(i32.${rng.pick(["eqz", "clz", "ctz", "popcnt", "extend8_s"])} ${this.#i32(b)})`,
      () => `(i32.wrap_i64 ${this.#i64(b)})`,
      () => `(select ${this.#i32(b)} ${this.#i32(b)} ${this.#i32(b)})`,
      () => `(if (result i32) ${this.#i32(b)} (then ${this.#i32(b)}) (else ${this.#i32(b)}))`,
    ];
    if (core.memories.length > 0) {
      options.push(() => {
        const op = rng.pick(["i32.load", "i32.load8_u", "i32.load8_s", "i32.load16_u"]);
        return `(${op} ${rng.pick(core.memories)} offset=${rng.range(0, 7)} ${this.#addr(b)})`;
      });
      options.push(() => `(memory.size ${rng.pick(core.memories)})`);
      if (this.#unsafe) {
        options.push(() => `(i32.load ${rng.pick(core.memories)} ${this.#i32(b)})`);
      }
    }
    if (core.tables.length > 0) options.push(() => `(table.size ${rng.pick(core.tables).name})`);
    const callees = this.#callees("s0");
    if (callees.length > 0) {
      options.push(() => this.#call(rng.pick(callees), this.#i32(b)));
      options.push(() => this.#call(rng.pick(callees), this.#i32(b)));
    }
    if (this.#calls < 3 && core.tables.some((t) => t.sig === "s0")) {
      options.push(() => this.#callIndirect("s0", b));
    }
    if (this.#unsafe) {
      options.push(() => `(i32.div_s ${this.#i32(b)} ${this.#i32(b)})`);
      options.push(() => `(i32.rem_s ${this.#i32(b)} ${this.#i32(b)})`);
    }
    return rng.pick(options)();
  }

  #i32Leaf(): string {
    const rng = this.#rng;
    const options = [
      () => `(i32.const ${rng.pick([0, 1, 2, 3, 7, 42, -1, 255, 1000, 0x7fffffff, -0x80000000])})`,
      () => `(i32.const ${rng.range(-1000, 100000)})`,
      () => "(local.get $d)",
    ];
    if (this.#x === "i32") options.push(() => "(local.get $x)", () => "(local.get $x)");
    const globals = this.#core.globals.filter((g) => g.val === "i32");
    if (globals.length > 0) options.push(() => `(global.get ${rng.pick(globals).name})`);
    return rng.pick(options)();
  }

  #i64(budget: number): string {
    const rng = this.#rng;
    const core = this.#core;
    const b = budget - 1;
    if (budget <= 0 || rng.chance(0.25)) return this.#i64Leaf();
    const options: (() => string)[] = [
      () => `(i64.${rng.pick(I64_BINOPS)} ${this.#i64(b)} ${this.#i64(b)})`,
      () => `(i64.${rng.pick(["extend_i32_s", "extend_i32_u"])} ${this.#i32(b)})`,
      () => `(i64.${rng.pick(["clz", "popcnt", "extend16_s"])} ${this.#i64(b)})`,
    ];
    if (core.memories.length > 0) {
      options.push(() =>
        `(i64.load ${rng.pick(core.memories)} offset=${rng.range(0, 7)} ${this.#addr(b)})`
      );
    }
    const callees = this.#callees("s1");
    if (callees.length > 0) options.push(() => this.#call(rng.pick(callees), this.#i64(b)));
    if (this.#calls < 3 && core.tables.some((t) => t.sig === "s1")) {
      options.push(() => this.#callIndirect("s1", b));
    }
    return rng.pick(options)();
  }

  #i64Leaf(): string {
    const rng = this.#rng;
    const options = [
      () => `(i64.const ${rng.pick(["0", "1", "-1", "1234567890123", "-9223372036854775808"])})`,
      () => `(i64.const ${rng.range(-1000, 100000)})`,
      () => "(i64.extend_i32_s (local.get $d))",
    ];
    if (this.#x === "i64") options.push(() => "(local.get $x)", () => "(local.get $x)");
    const globals = this.#core.globals.filter((g) => g.val === "i64");
    if (globals.length > 0) options.push(() => `(global.get ${rng.pick(globals).name})`);
    return rng.pick(options)();
  }

  #stmt(budget: number): string {
    const rng = this.#rng;
    const core = this.#core;
    const b = budget - 1;
    const options: (() => string)[] = [() => `(drop ${this.#i32(budget)})`];
    if (budget > 0) {
      options.push(() => `(if ${this.#i32(b)} (then ${this.#stmt(b)}) (else ${this.#stmt(b)}))`);
    }
    if (this.#x !== null) {
      const x = this.#x;
      options.push(() => `(local.set $x ${x === "i32" ? this.#i32(budget) : this.#i64(budget)})`);
    }
    if (core.memories.length > 0) {
      const store = () => {
        const [op, value] = rng.pick(
          [
            ["i32.store", () => this.#i32(b)],
            ["i32.store8", () => this.#i32(b)],
            ["i32.store16", () => this.#i32(b)],
            ["i64.store", () => this.#i64(b)],
          ] as const,
        );
        const m = rng.pick(core.memories);
        return `(${op} ${m} offset=${rng.range(0, 7)} ${this.#addr(b)} ${value()})`;
      };
      options.push(store, store, store);
      options.push(() => {
        this.#note("memory-bulk");
        const m = rng.pick(core.memories);
        const len = `(i32.const ${rng.range(0, 16)})`;
        const at = () => `(i32.and ${this.#i32(b)} (i32.const 0xffe0))`;
        return rng.chance(0.5)
          ? `(memory.fill ${m} ${at()} ${this.#i32(b)} ${len})`
          : `(memory.copy ${m} ${rng.pick(core.memories)} ${at()} ${at()} ${len})`;
      });
      if (rng.chance(0.3)) {
        options.push(() => {
          this.#note("memory-grow");
          return `(drop (memory.grow ${rng.pick(core.memories)} (i32.const 1)))`;
        });
      }
    }
    const mutable = core.globals.filter((g) => g.mutable);
    if (mutable.length > 0) {
      options.push(() => {
        const g = rng.pick(mutable);
        return `(global.set ${g.name} ${g.val === "i32" ? this.#i32(b) : this.#i64(b)})`;
      });
    }
    const settable = core.tables.filter((t) =>
      core.callees.some((c) => c.named && c.safe && c.sig === t.sig)
    );
    if (settable.length > 0) {
      options.push(() => {
        this.#note("table-set");
        const t = rng.pick(settable);
        const f = rng.pick(core.callees.filter((c) => c.named && c.safe && c.sig === t.sig));
        core.declared.add(f.target);
        const i = this.#local();
        const index = `(i32.and ${this.#i32(b)} (i32.const 7))`;
        return `(if (i32.lt_u (local.tee ${i} ${index}) (table.size ${t.name})) (then (table.set ${t.name} (local.get ${i}) (ref.func ${f.target}))))`;
      });
    }
    if (this.#unsafe && core.tables.length > 0) {
      options.push(() =>
        `(table.set ${rng.pick(core.tables).name} (i32.and ${
          this.#i32(b)
        } (i32.const 3)) (ref.null func))`
      );
    }
    const s2 = this.#callees("s2");
    if (s2.length > 0) options.push(() => this.#call(rng.pick(s2), ""));
    const s1 = this.#callees("s1");
    if (s1.length > 0) options.push(() => `(drop ${this.#call(rng.pick(s1), this.#i64(b))})`);
    if (this.#calls < 3 && core.tables.some((t) => t.sig === "s2")) {
      options.push(() => this.#callIndirect("s2", b));
    }
    return rng.pick(options)();
  }

  /** A trap in the middle of a start function. */
  #startTrap(): string {
    const rng = this.#rng;
    const core = this.#core;
    const options: [Feature, () => string][] = [
      ["start-trap-unreachable", () => "(unreachable)"],
      ["start-trap-divide", () => "(drop (i32.div_u (i32.const 1) (i32.const 0)))"],
    ];
    if (core.memories.length > 0) {
      options.push([
        "start-trap-memory",
        () => `(i32.store ${rng.pick(core.memories)} (i32.const 200000) (i32.const 1))`,
      ]);
    }
    if (core.tables.length > 0) {
      const t = rng.pick(core.tables);
      options.push([
        "start-trap-table",
        () => `(table.set ${t.name} (i32.const 1000) (ref.null func))`,
      ]);
      const arg = t.sig === "s0" ? " (i32.const 1)" : t.sig === "s1" ? " (i64.const 1)" : "";
      const call = `(call_indirect ${t.name} (type $${t.sig}) (i32.const 1)${arg} (i32.const 999))`;
      options.push(["start-trap-call-indirect", () => t.sig === "s2" ? call : `(drop ${call})`]);
    }
    if (core.hostFail !== null) {
      const fail: [Feature, () => string] = [
        "start-trap-host",
        () => `(call ${core.hostFail} (i32.const 9))`,
      ];
      options.push(fail, fail, fail);
    }
    const [feature, make] = rng.pick(options);
    this.#note(feature);
    return make();
  }

  /** A conditional trap in a top-level function, which only the host calls. */
  #probeTrap(): string {
    this.#note("top-trap-in-call");
    const cond = this.#x === "i32"
      ? `(i32.eq (i32.and (local.get $x) (i32.const 3)) (i32.const ${this.#rng.range(0, 3)}))`
      : `(i32.eq (local.get $d) (i32.const ${this.#rng.range(2, 4)}))`;
    return `(if ${cond} (then (unreachable)))`;
  }
}

// ---------------------------------------------------------------------------
// The host

/** Host objects for one instantiation, and what they saw. */
export interface Host {
  /** The import object to instantiate with. */
  readonly imports: Imports;
  /** Host values whose state is observed: memories, tables, globals, functions; by name. */
  readonly objects: Readonly<Record<string, unknown>>;
  /** Calls of host functions, in order (the observer adds markers of its own). */
  readonly log: string[];
}

/** Makes fresh host objects: one per observation, so that runs do not share state. */
export type HostSetup = () => Host;

/**
 * The host {@linkcode generateProgram}'s programs import: functions of the
 * three signatures that log their calls (and one that throws), a memory, two
 * tables, globals, and an instance `host`.
 */
export function standardHost(): Host {
  const log: string[] = [];
  const named = <F extends (...args: never[]) => unknown>(name: string, f: F): F =>
    Object.defineProperty(f, "name", { value: name });
  const hostLog = named("log", (_d: number, x: number) => {
    log.push(`log(${x})`);
    return (x ^ 0x5a) | 0;
  });
  const log1 = named("log1", (d: number) => void log.push(`log1(${d})`));
  const mix64 = named("mix64", (_d: number, x: bigint) => {
    log.push(`mix64(${x})`);
    return BigInt.asIntN(64, x * 31n + 7n);
  });
  const mul = named("mul", (d: number, x: number) => {
    log.push(`mul(${x})`);
    return (Math.imul(x, 3) + d) | 0;
  });
  const fail = named("fail", (d: number) => {
    log.push(`fail(${d})`);
    throw new Error(`host failure at ${d}`);
  });
  const mem = new WebAssembly.Memory({ initial: 1, maximum: 2 });
  const mem2 = new WebAssembly.Memory({ initial: 1, maximum: 2 });
  const tbl = new WebAssembly.Table({ element: "anyfunc", initial: 8 });
  const tbl2 = new WebAssembly.Table({ element: "anyfunc", initial: 4 });
  const g = new WebAssembly.Global({ value: "i32", mutable: true }, 100);
  const g64 = new WebAssembly.Global({ value: "i64", mutable: true }, 1000n);
  const env = { log: hostLog, log1, mix64, fail, mem, tbl, g, g64, k: 42 };
  const host = { mul, mem2, tbl2, k: 7 };
  return {
    imports: { env, host },
    objects: { hostLog, log1, mix64, mul, fail, mem, mem2, tbl, tbl2, g, g64 },
    log,
  };
}

/**
 * A host for any module whose imports are functions, memories, tables,
 * globals and instances of those, made from the types `module.imports()`
 * prints; `null` when an import is of another kind (a module, a tag) or its
 * type is printed cut short. Functions log their calls and return a value
 * made from their arguments.
 */
export function descriptorHost(module: Module): HostSetup | null {
  const imports = module.imports().map((d) => ({ ...d, type: parseType(d.type) }));
  if (imports.some((d) => d.type === null || !buildable(d.type))) return null;
  return () => {
    const log: string[] = [];
    const objects: Record<string, unknown> = {};
    const result: Record<string, unknown> = {};
    for (const d of imports) {
      const where = d.name === null ? d.module : `${d.module}.${d.name}`;
      const value = build(d.type!, where, log, objects);
      if (d.name === null) result[d.module] = value;
      else ((result[d.module] ??= {}) as Record<string, unknown>)[d.name] = value;
    }
    return { imports: result, objects, log };
  };
}

/** A printed type, read as nested lists of atoms; strings keep their quotes. */
type Sexp = string | Sexp[];

function parseType(text: string): Sexp | null {
  if (text.includes("…")) return null;
  const tokens = text.match(/"(?:[^"\\]|\\.)*"|[()]|[^\s()"]+/g) ?? [];
  const stack: Sexp[][] = [[]];
  for (const t of tokens) {
    if (t === "(") stack.push([]);
    else if (t === ")") {
      const done = stack.pop()!;
      stack[stack.length - 1].push(done);
    } else stack[stack.length - 1].push(t);
  }
  return stack[0][0] ?? null;
}

function buildable(t: Sexp): boolean {
  if (!Array.isArray(t)) return false;
  switch (t[0]) {
    case "func":
    case "memory":
    case "table":
    case "global":
      return true;
    case "instance":
      return t.slice(1).every((e) => Array.isArray(e) && buildable(e[2]));
    default:
      return false;
  }
}

function build(
  t: Sexp,
  where: string,
  log: string[],
  objects: Record<string, unknown>,
): unknown {
  const list = t as Sexp[];
  const numbers = list.filter((x): x is string => typeof x === "string" && /^\d+$/.test(x));
  let value: unknown;
  switch (list[0]) {
    case "func": {
      const results = (list.find((x) => Array.isArray(x) && x[0] === "result") ?? []) as string[];
      const f = (...args: unknown[]) => {
        log.push(`${where}(${args.map(String).join(", ")})`);
        const sum = args.reduce<number>(
          (n, a) => (n * 31 + Number(BigInt.asIntN(32, BigInt(a as number | bigint)))) | 0,
          7,
        );
        return results[1] === "i64" ? BigInt(sum) : results[1] === "i32" ? sum : undefined;
      };
      value = Object.defineProperty(f, "name", { value: where });
      break;
    }
    case "memory":
      value = new WebAssembly.Memory({
        initial: Number(numbers[0]),
        maximum: Number(numbers[1] ?? 2),
      });
      break;
    case "table":
      value = new WebAssembly.Table({ element: "anyfunc", initial: Number(numbers[0]) + 2 });
      break;
    case "global": {
      const mut = Array.isArray(list[1]);
      const val = (mut ? (list[1] as string[])[1] : list[1]) as "i32" | "i64";
      value = new WebAssembly.Global({ value: val, mutable: mut }, val === "i64" ? 77n : 77);
      break;
    }
    case "instance": {
      const exports: Record<string, unknown> = {};
      for (const e of list.slice(1) as Sexp[][]) {
        const name = JSON.parse(e[1] as string) as string;
        exports[name] = build(e[2], `${where}.${name}`, log, objects);
      }
      return exports;
    }
  }
  objects[where] = value;
  return value;
}

/**
 * Hosts made by `setup` with one import of `module` wrong: missing, of
 * another kind, an instance without one of its exports, a memory too small,
 * or a value only V8 can tell is wrong (a wasm function or a global of
 * another type), when the core module that imports it is instantiated.
 * At most three imports are spoiled: the first, the middle and the last.
 */
export function brokenHosts(
  module: Module,
  setup: HostSetup,
): { name: string; setup: HostSetup }[] {
  const imports = module.imports();
  const at = [...new Set([0, imports.length >> 1, imports.length - 1])]
    .filter((i) => i >= 0 && i < imports.length);
  const out: { name: string; setup: HostSetup }[] = [];
  for (const d of at.map((i) => imports[i])) {
    const where = d.name === null ? d.module : `${d.module}.${d.name}`;
    const spoil: [string, (old: unknown) => unknown][] = [["missing", () => undefined]];
    switch (d.kind) {
      case "func":
        spoil.push(["a wasm function of another type", () => wrongFunction()]);
        break;
      case "memory":
        spoil.push(["a table", () => new WebAssembly.Table({ element: "anyfunc", initial: 1 })]);
        spoil.push(["a memory of no pages", () => new WebAssembly.Memory({ initial: 0 })]);
        break;
      case "table":
        spoil.push(["a memory", () => new WebAssembly.Memory({ initial: 1 })]);
        break;
      case "global":
        spoil.push([
          "an f64 global",
          () => new WebAssembly.Global({ value: "f64", mutable: true }, 1.5),
        ]);
        break;
      case "instance": {
        const type = parseType(d.type);
        const first = Array.isArray(type) && Array.isArray(type[1]) ? type[1][1] : undefined;
        if (typeof first === "string") {
          const name = JSON.parse(first) as string;
          spoil.push([`without export ${first}`, (old) => {
            const copy: Record<string, unknown> = { ...(old as Record<string, unknown>) };
            delete copy[name];
            return copy;
          }]);
        }
        break;
      }
    }
    for (const [what, make] of spoil) {
      out.push({
        name: `${where} ${what}`,
        setup: () => {
          const host = setup();
          const imports: Record<string, unknown> = { ...host.imports };
          let holder = imports;
          let key = d.module;
          if (d.name !== null) {
            holder = { ...(imports[d.module] as Record<string, unknown>) };
            imports[d.module] = holder;
            key = d.name;
          }
          const value = make(holder[key]);
          if (value === undefined) delete holder[key];
          else holder[key] = value;
          return { ...host, imports };
        },
      });
    }
  }
  return out;
}

let wrongFunctionModule: WebAssembly.Module | undefined;

/** A wasm function of type `[] -> []`, which no generated import has. */
function wrongFunction(): unknown {
  // (module (func (export "f")))
  wrongFunctionModule ??= new WebAssembly.Module(
    new Uint8Array([
      0,
      97,
      115,
      109,
      1,
      0,
      0,
      0,
      1,
      4,
      1,
      0x60,
      0,
      0,
      3,
      2,
      1,
      0,
      7,
      5,
      1,
      1,
      0x66,
      0,
      0,
      10,
      4,
      1,
      2,
      0,
      0x0b,
    ]),
  );
  return new WebAssembly.Instance(wrongFunctionModule).exports.f;
}

// ---------------------------------------------------------------------------
// The observer

/** What one value looks like from the host. Objects seen before are `{ kind, id }` only. */
export type Seen =
  | { kind: "func"; id: number; arity?: number; name?: string }
  | { kind: "memory"; id: number; pages?: number; hash?: string }
  | { kind: "table"; id: number; entries?: (string | null)[] }
  | { kind: "global"; id: number; value?: string }
  | { kind: "module"; id: number; imports?: string; exports?: string }
  | { kind: "instance"; id: number; exports?: Record<string, Seen> }
  | { kind: "value"; value: string }
  | { kind: "other"; type: string };

/** The host's and the exports' state at one moment. */
export interface State {
  readonly host: Record<string, Seen>;
  readonly exports: Record<string, Seen> | null;
}

/** One call the observer made. */
export interface Call {
  readonly what: string;
  readonly args: string;
  readonly outcome: string;
}

/** Everything a host could tell about one instantiation and the calls after it. */
export interface Observation {
  readonly module: { imports: string; exports: string };
  /** `ok`, or the error: its class, name and message. */
  readonly instantiation: string;
  readonly afterInstantiation: State;
  readonly calls: Call[];
  readonly afterCalls: State;
  /** The host's log, with the observer's markers of each phase and call. */
  readonly log: string[];
}

/** Options of {@linkcode observe}. */
export interface ObserveOptions {
  /** `instantiateSync` (default) or `instantiate`. */
  instantiate?: "sync" | "async";
  /**
   * Whether a function is described by its `name` (for a wasm function,
   * its index in its core module) besides its identity and arity. Turn off
   * to compare programs whose core modules are laid out differently.
   */
  functionNames?: boolean;
}

/** The i32 arguments an exported function is called with, one call per row; the first is the depth. */
const ARG_ROWS: readonly (readonly number[])[] = [[4, 7], [3, -2], [2, 1]];

/**
 * Instantiates `module` with fresh host objects from `setup`, and writes
 * down what the host can see: the outcome, the state of the host's objects
 * and of every export (memories by hash, tables by which function each
 * element is, globals by value, functions, modules and instances by
 * identity), the result or trap of calling each exported function and each
 * function found in a table, and the state again after the calls.
 */
export async function observe(
  module: Module,
  setup: HostSetup,
  options: ObserveOptions = {},
): Promise<Observation> {
  const host = setup();
  const ids = new Ids(options.functionNames ?? true);
  // Host objects get the first identities, so a host value passed through is recognizable.
  for (const value of Object.values(host.objects)) ids.id(value);
  const observed = {
    imports: JSON.stringify(module.imports()),
    exports: JSON.stringify(module.exports()),
  };
  host.log.push("-- instantiate");
  let exports: Record<string, unknown> | null = null;
  let instantiation = "ok";
  try {
    const instance = options.instantiate === "async"
      ? await instantiate(module, host.imports)
      : instantiateSync(module, host.imports);
    exports = instance.exports as Record<string, unknown>;
  } catch (e) {
    instantiation = describeError(e);
  }
  const afterInstantiation = snapshot(ids, host, exports);
  const calls: Call[] = [];
  const call = (what: string, f: (...args: unknown[]) => unknown, args: unknown[]) => {
    const shown = args.map(String).join(", ");
    host.log.push(`-- ${what}(${shown})`);
    let outcome: string;
    try {
      outcome = `= ${show(ids, f(...args))}`;
    } catch (e) {
      outcome = `! ${describeError(e)}`;
    }
    calls.push({ what, args: shown, outcome });
  };
  if (exports !== null) {
    const descriptors = module.exports();
    for (const row of ARG_ROWS) {
      for (const d of descriptors) {
        const f = exports[d.name];
        if (d.kind !== "func" || typeof f !== "function") continue;
        const args = (d.params ?? []).map((p, n) => {
          const v = row[Math.min(n, row.length - 1)];
          return p === "i64" ? BigInt(v) * 1000003n : v;
        });
        call(d.name, f as (...args: unknown[]) => unknown, args);
      }
    }
  }
  // Functions only reachable through tables: called by arity (i64 is tried after i32).
  for (const [id, f] of ids.tableOnly()) {
    const arity = f.length;
    const args: unknown[] = arity === 0 ? [] : arity === 1 ? [3] : [3, 7];
    host.log.push(`-- table function #${id}`);
    try {
      calls.push({ what: `#${id}`, args: args.join(", "), outcome: `= ${show(ids, f(...args))}` });
    } catch (e) {
      if (e instanceof TypeError && arity === 2) call(`#${id}`, f, [3, 7n]);
      else calls.push({ what: `#${id}`, args: args.join(", "), outcome: `! ${describeError(e)}` });
    }
  }
  const afterCalls = snapshot(ids, host, exports);
  return {
    module: observed,
    instantiation,
    afterInstantiation,
    calls,
    afterCalls,
    log: host.log,
  };
}

/** An error as a string: its class, its name and its message. */
function describeError(e: unknown): string {
  if (!(e instanceof Error)) return `thrown ${typeof e}: ${String(e)}`;
  return `${e.constructor.name}(${e.name}): ${e.message}`;
}

function show(ids: Ids, value: unknown): string {
  if (typeof value === "function") return `func #${ids.id(value)}`;
  return typeof value === "bigint" ? `${value}n` : String(value);
}

/**
 * Identities of the objects one observation meets, in order of meeting, so
 * that two observations can be compared: equal numbers are the same object.
 */
class Ids {
  readonly #ids = new Map<unknown, number>();
  readonly #fromTables: [number, (...args: unknown[]) => unknown][] = [];
  readonly #names: boolean;

  constructor(names: boolean) {
    this.#names = names;
  }

  id(value: unknown): number {
    let id = this.#ids.get(value);
    if (id === undefined) {
      id = this.#ids.size;
      this.#ids.set(value, id);
    }
    return id;
  }

  /** Whether `value` has been met, before giving it its identity. */
  has(value: unknown): boolean {
    return this.#ids.has(value);
  }

  /** Functions first met as table elements. */
  tableOnly(): [number, (...args: unknown[]) => unknown][] {
    return this.#fromTables;
  }

  func(
    value: (...args: unknown[]) => unknown,
    inTable: boolean,
  ): Extract<Seen, { kind: "func" }> {
    const fresh = !this.has(value);
    const id = this.id(value);
    if (!fresh) return { kind: "func", id };
    if (inTable) this.#fromTables.push([id, value]);
    return this.#names
      ? { kind: "func", id, arity: value.length, name: value.name }
      : { kind: "func", id, arity: value.length };
  }
}

function snapshot(ids: Ids, host: Host, exports: Record<string, unknown> | null): State {
  const hostState: Record<string, Seen> = {};
  // Host state is described in full each time: `seen` only tracks what this snapshot met.
  const seen = new Set<unknown>();
  for (const [name, value] of Object.entries(host.objects)) {
    hostState[name] = describe(ids, seen, value, 0);
  }
  return { host: hostState, exports: exports === null ? null : describeAll(ids, seen, exports, 0) };
}

function describeAll(
  ids: Ids,
  seen: Set<unknown>,
  exports: Record<string, unknown>,
  depth: number,
): Record<string, Seen> {
  const out: Record<string, Seen> = {};
  for (const name of Object.keys(exports)) out[name] = describe(ids, seen, exports[name], depth);
  return out;
}

function describe(ids: Ids, seen: Set<unknown>, value: unknown, depth: number): Seen {
  if (typeof value === "number" || typeof value === "bigint") {
    return { kind: "value", value: show(ids, value) };
  }
  if (typeof value === "function") {
    return ids.func(value as (...args: unknown[]) => unknown, false);
  }
  if (typeof value !== "object" || value === null) return { kind: "other", type: String(value) };
  const again = seen.has(value);
  seen.add(value);
  const id = ids.id(value);
  if (value instanceof WebAssembly.Memory) {
    return again ? { kind: "memory", id } : {
      kind: "memory",
      id,
      pages: value.buffer.byteLength / 65536,
      hash: hashBytes(new Uint8Array(value.buffer)),
    };
  }
  if (value instanceof WebAssembly.Table) {
    if (again) return { kind: "table", id };
    const entries: (string | null)[] = [];
    for (let i = 0; i < value.length; i++) {
      const f = value.get(i) as ((...args: unknown[]) => unknown) | null;
      if (f === null) {
        entries.push(null);
        continue;
      }
      const seen = ids.func(f, true);
      entries.push(
        seen.arity === undefined ? `#${seen.id}` : `#${seen.id} ${JSON.stringify(seen)}`,
      );
    }
    return { kind: "table", id, entries };
  }
  if (value instanceof WebAssembly.Global) {
    return again ? { kind: "global", id } : { kind: "global", id, value: show(ids, value.value) };
  }
  if (value instanceof Module) {
    return again ? { kind: "module", id } : {
      kind: "module",
      id,
      imports: JSON.stringify(value.imports()),
      exports: JSON.stringify(value.exports()),
    };
  }
  const nested = (value as { exports?: unknown }).exports;
  if (typeof nested === "object" && nested !== null) {
    if (again || depth >= 4) return { kind: "instance", id };
    return {
      kind: "instance",
      id,
      exports: describeAll(ids, seen, nested as Record<string, unknown>, depth + 1),
    };
  }
  return { kind: "other", type: Object.prototype.toString.call(value) };
}

/** FNV-1a over 32-bit words, and the length: enough to tell memories apart. */
function hashBytes(bytes: Uint8Array): string {
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 2);
  let h = 0x811c9dc5 ^ bytes.byteLength;
  for (let i = 0; i < words.length; i++) {
    h = Math.imul(h ^ words[i], 0x01000193);
    h ^= h >>> 15;
  }
  return (h >>> 0).toString(16).padStart(8, "0");
}

// ---------------------------------------------------------------------------
// Comparing

/**
 * The differences between two observations, each as `where: a | b`; empty
 * when they agree. At most `limit` are listed.
 */
export function diff(a: Observation, b: Observation, limit = 8): string[] {
  const out: string[] = [];
  const walk = (x: unknown, y: unknown, at: string) => {
    if (out.length >= limit) return;
    if (Object.is(x, y)) return;
    if (
      typeof x !== "object" || typeof y !== "object" || x === null || y === null ||
      Array.isArray(x) !== Array.isArray(y)
    ) {
      out.push(`${at}: ${brief(x)} | ${brief(y)}`);
      return;
    }
    const keys = new Set([...Object.keys(x), ...Object.keys(y)]);
    for (const k of keys) {
      walk(
        (x as Record<string, unknown>)[k],
        (y as Record<string, unknown>)[k],
        Array.isArray(x) ? `${at}[${k}]` : `${at}.${k}`,
      );
    }
  };
  walk(a, b, "observation");
  return out;
}

function brief(value: unknown): string {
  const text = value === undefined ? "(missing)" : JSON.stringify(value);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/** The modules among the exports of an instance of `module` (and of its exported instances). */
function exportedModules(module: Module, setup: HostSetup): [string, Module][] {
  let exports: Record<string, unknown>;
  try {
    exports = instantiateSync(module, setup().imports).exports as Record<string, unknown>;
  } catch {
    return [];
  }
  const out: [string, Module][] = [];
  const walk = (values: Record<string, unknown>, at: string, depth: number) => {
    for (const [name, value] of Object.entries(values)) {
      if (value instanceof Module) out.push([`${at}${name}`, value]);
      const nested = (value as { exports?: unknown } | null)?.exports;
      if (
        depth < 2 && typeof nested === "object" && nested !== null && !(value instanceof Module)
      ) {
        walk(nested as Record<string, unknown>, `${at}${name}.`, depth + 1);
      }
    }
  };
  walk(exports, "", 0);
  return out;
}

/** One way of getting from the text to an observation. */
export interface Path {
  readonly name: string;
  readonly observation: Observation;
}

/** Options of {@linkcode comparePaths}. */
export interface ComparePathsOptions extends ObserveOptions {
  /** How many hosts with one import wrong to try on each path (default 3). */
  brokenHosts?: number;
  /**
   * Whether to compare fused and unfused runs too (default true): the
   * module compiled with `fuse: false`, and fused with no limit on copies
   * of a module's code, must look alike (functions compared without their
   * core indices, which fusion moves).
   */
  fusion?: boolean;
}

/**
 * `o` with a segment's trap worded as the bulk instruction's: a fused
 * module applies segments with `table.init` and `memory.init`, whose traps
 * V8 words without the segment's details (see `docs/fusion.md`). The
 * trap itself, and the host state it leaves, must be the same.
 */
function sameTraps(o: Observation): Observation {
  const instantiation = o.instantiation
    .replace("WebAssembly.Instance(): ", "")
    .replace(/data segment \d+ is out of bounds \([^)]*\)/, "memory access out of bounds");
  return { ...o, instantiation };
}

/** Fusion's limits with copies allowed: every closed graph of a generated program fuses. */
const FUSE_ALL = { instances: 2_000, coreBytes: 8 << 20, copies: 1_000 };

/**
 * `text` compiled unfused, and fused with copies allowed: its whole graph,
 * or the nested modules whose graphs are closed (`null` when nothing fuses).
 */
async function fusionPair(text: string): Promise<{ unfused: Module; fused: Module | null }> {
  const unfused = await compile(text, { fuse: false });
  const { blob, index } = moduleParts(unfused);
  const wide = fused(blob, FUSE_ALL);
  const module = new Module(wide, index);
  return { unfused, fused: fusedAnywhere(module) ? module : null };
}

/** Whether `module`'s graph, runs of its own instances, or a module nested in it run fused. */
function fusedAnywhere(module: Module): boolean {
  const report = module.fusion();
  return report.fused || report.steps !== undefined || report.nested !== undefined;
}

/** The outcome of {@linkcode comparePaths}. */
export interface Comparison {
  /** The reference observation: text compiled, `instantiateSync`. */
  readonly base: Observation;
  readonly paths: Path[];
  /** Each path that disagrees with the base (or a fact that does not hold), and how. */
  readonly mismatches: { path: string; differences: string[] }[];
  /**
   * Whether the default compile fused its whole graph, or else part of it
   * (`partByDefault`: runs of its own instances, or nested modules), and
   * whether fusing with copies allowed fused any of it.
   */
  readonly fused: {
    readonly byDefault: boolean;
    readonly partByDefault: boolean;
    /** Whether the default compile made fused steps of its own program. */
    readonly stepsByDefault: boolean;
    /** Whether the default compile fused modules nested in it on their own. */
    readonly nestedByDefault: boolean;
    readonly withCopies: boolean;
  };
}

/**
 * Compiles `text` and observes it along every path that must agree with
 * the reference (text compiled, instantiated with `instantiateSync`): the
 * binary `parseWat` produced, compiled by `compileSync`; the artifact
 * (`serialize`) read by `Module.deserialize` (twice: its core modules
 * compile lazily the first time) and by `loadArtifact`; `instantiate`; and a
 * second instantiation of the same module. Then the same with hosts that get
 * one import wrong ({@linkcode brokenHosts}: text, binary and artifact must
 * fail alike), and for up to two modules the program exports (closures over
 * what their instance was given), the module against its own artifact.
 * Also checks that the text and the binary serialize to the same artifact,
 * and that a deserialized module serializes back to it. A program that does
 * not compile throws.
 */
export async function comparePaths(
  text: string,
  setup: HostSetup = standardHost,
  options: ComparePathsOptions = {},
): Promise<Comparison> {
  const fromText = await compile(text);
  const bytes = await parseWat(text);
  const fromBinary = compileSync(bytes);
  const artifact = fromText.serialize();
  const deserialized = Module.deserialize(artifact);
  const loaded = await loadArtifact(artifact);
  const sync = { ...options, instantiate: "sync" } as const;
  const async = { ...options, instantiate: "async" } as const;
  const base = await observe(fromText, setup, sync);
  const paths: Path[] = [
    { name: "binary", observation: await observe(fromBinary, setup, sync) },
    { name: "deserialize", observation: await observe(deserialized, setup, sync) },
    { name: "deserialize, again", observation: await observe(deserialized, setup, sync) },
    { name: "loadArtifact, async", observation: await observe(loaded, setup, async) },
    { name: "text, async", observation: await observe(fromText, setup, async) },
    { name: "text, again", observation: await observe(fromText, setup, sync) },
  ];
  const mismatches = paths
    .map((p) => ({ path: p.name, differences: diff(base, p.observation) }))
    .filter((m) => m.differences.length > 0);
  const sameBytes = (name: string, x: Uint8Array, y: Uint8Array) => {
    if (x.length === y.length && x.every((v, i) => v === y[i])) return;
    let at = 0;
    while (at < x.length && at < y.length && x[at] === y[at]) at++;
    mismatches.push({
      path: name,
      differences: [`lengths ${x.length} | ${y.length}, first difference at byte ${at}`],
    });
  };
  sameBytes("artifact of the binary", artifact, fromBinary.serialize());
  sameBytes("artifact after deserialize", artifact, deserialized.serialize());
  // Hosts with one import wrong: the errors name imports, types and modules from the blob.
  const broken = brokenHosts(fromText, setup);
  const shift = text.length % Math.max(1, broken.length);
  const chosen = [...broken.slice(shift), ...broken.slice(0, shift)]
    .slice(0, options.brokenHosts ?? 3);
  for (const b of chosen) {
    const reference = await observe(fromText, b.setup, sync);
    paths.push({ name: `text, ${b.name}`, observation: reference });
    const others = [
      { name: `binary, ${b.name}`, module: fromBinary },
      { name: `deserialize, ${b.name}`, module: deserialized },
      { name: `loadArtifact, ${b.name}`, module: loaded },
    ];
    for (const o of others) {
      const observation = await observe(o.module, b.setup, sync);
      paths.push({ name: o.name, observation });
      const differences = diff(reference, observation);
      if (differences.length > 0) mismatches.push({ path: o.name, differences });
    }
  }
  // Modules the program exports, which close over what their instance was given.
  for (const [name, module] of exportedModules(fromText, setup).slice(0, 2)) {
    const host = descriptorHost(module);
    if (host === null) continue;
    const bytes = module.serialize();
    const own = await observe(module, host, sync);
    const read = [
      { name: `exported module ${name}, deserialize`, module: Module.deserialize(bytes) },
      { name: `exported module ${name}, loadArtifact`, module: await loadArtifact(bytes) },
    ];
    for (const r of read) {
      const observation = await observe(r.module, host, sync);
      paths.push({ name: r.name, observation });
      const differences = diff(own, observation);
      if (differences.length > 0) mismatches.push({ path: r.name, differences });
    }
  }
  let withCopies = false;
  if (options.fusion !== false) {
    withCopies = await compareFusion(text, fromText, setup, paths, mismatches);
  }
  const report = fromText.fusion();
  return {
    base,
    paths,
    mismatches,
    fused: {
      byDefault: report.fused,
      partByDefault: !report.fused && fusedAnywhere(fromText),
      stepsByDefault: report.steps !== undefined,
      nestedByDefault: report.nested !== undefined,
      withCopies,
    },
  };
}

/**
 * Adds the fusion paths: unfused, fused by default, and fused with copies
 * allowed must agree (function names aside), with the standard host and
 * with a host that gets an import wrong; and the fused-with-copies module
 * read back from its artifact. Returns whether the copies-allowed fusion
 * fused.
 */
async function compareFusion(
  text: string,
  byDefault: Module,
  setup: HostSetup,
  paths: Path[],
  mismatches: { path: string; differences: string[] }[],
): Promise<boolean> {
  const pair = await fusionPair(text);
  const noNames = { instantiate: "sync", functionNames: false } as const;
  const reference = await observe(pair.unfused, setup, noNames);
  paths.push({ name: "unfused", observation: reference });
  const others = [{ name: "fused by default", module: byDefault }];
  if (pair.fused !== null) {
    others.push(
      { name: "fused with copies", module: pair.fused },
      {
        name: "fused with copies, deserialize",
        module: Module.deserialize(pair.fused.serialize()),
      },
    );
  }
  for (const o of others) {
    const observation = await observe(o.module, setup, noNames);
    paths.push({ name: o.name, observation });
    const differences = diff(sameTraps(reference), sameTraps(observation));
    if (differences.length > 0) mismatches.push({ path: o.name, differences });
  }
  if (pair.fused !== null) {
    const broken = brokenHosts(pair.unfused, setup);
    for (const b of broken.slice(0, 2)) {
      const expected = await observe(pair.unfused, b.setup, noNames);
      const observation = await observe(pair.fused, b.setup, noNames);
      paths.push({ name: `fused with copies, ${b.name}`, observation });
      const differences = diff(sameTraps(expected), sameTraps(observation));
      if (differences.length > 0) {
        mismatches.push({ path: `fused with copies, ${b.name}`, differences });
      }
    }
  }
  return pair.fused !== null;
}
