/**
 * Instantiation: runs a module's initializers. Nested instances are created
 * in order, then the module's own core instance; each core import object is
 * one array of the values the initializers pushed, so functions pass between
 * instances as the V8 exported functions themselves.
 *
 * @module
 */

import type {
  BuiltExport,
  CompiledModule,
  FusedModule,
  FusedStep,
  Initializer,
  InstantiateArg,
} from "../compiled.ts";
import { LinkError } from "../errors.ts";
import { isCoreKind, Kind, unreachable } from "../ir.ts";
import { DEFAULT_MAX_INSTANCES, MAX_INSTANTIATION_DEPTH } from "../limits.ts";
import type { TypeTables } from "../types.ts";
import { anyNeedsCaller, bindCallerImports, callersInUse } from "./caller.ts";
import { type ExportValue, type Instance, isInstance, typedInstance } from "./instance.ts";
import { hostImport, type Imports, missingImport } from "./linker.ts";
import {
  coreModuleOf,
  fusedCoreOf,
  instanceTypeRef,
  isModule,
  type Module,
  type ModuleParts,
  moduleParts,
  nestedModule,
  stepCoreOf,
} from "./module.ts";

/**
 * Options of `instantiate`.
 *
 * @example
 * ```ts
 * import { compile, instantiate, type InstantiateOptions } from "@mlink/mlink";
 * const options: InstantiateOptions = { maxInstances: 100 };
 * const instance = await instantiate(await compile(`(module)`), {}, options);
 * ```
 */
export interface InstantiateOptions {
  /**
   * Most instances one call may create, nested ones included (default
   * 10,000): a module that instantiates its child twice at each of 40 levels
   * fails fast instead of running for ever. A whole number, at least 1.
   */
  maxInstances?: number;
}

/**
 * The instance cap `options` ask for; a `LinkError` names an option whose
 * value is not valid. Other properties are ignored: callers such as
 * `runWasi` pass their own options object on.
 */
function maxInstancesOf(options: InstantiateOptions | undefined): number {
  if (options === undefined) return DEFAULT_MAX_INSTANCES;
  if (options === null || typeof options !== "object") {
    throw new LinkError(
      `the options argument must be an object, got ${options === null ? "null" : typeof options}`,
    );
  }
  const max = options.maxInstances;
  if (max === undefined) return DEFAULT_MAX_INSTANCES;
  if (typeof max !== "number" || !Number.isSafeInteger(max) || max < 1) {
    throw new LinkError(
      `option maxInstances must be a whole number of at least 1, got ${
        typeof max === "number" ? max : typeof max === "string" ? JSON.stringify(max) : typeof max
      }`,
    );
  }
  return max;
}

interface Budget {
  left: number;
  readonly max: number;
}

/**
 * Instantiates `module` with host `imports`: `{x: value}` for a
 * single-level import `"x"`, `{a: {b: value}}` for a two-level import
 * `"a" "b"`; only own properties count, never inherited ones. Throws
 * `LinkError` when an import is missing or of the wrong kind or type, or an
 * argument or option is not valid; a trap in a start function, stack
 * exhaustion included, is a `WebAssembly.RuntimeError`.
 *
 * @param module The module to instantiate.
 * @param imports Host values for its imports, by name.
 * @param options A cap on the instances it may create.
 * @returns The instance.
 *
 * @example
 * ```ts
 * import { compile, instantiateSync } from "@mlink/mlink";
 * const m = await compile(`(module (global (import "seed") i32)
 *   (func (export "seed") (result i32) global.get 0))`);
 * const { exports } = instantiateSync(m, { seed: new WebAssembly.Global({ value: "i32" }, 5) });
 * console.log((exports.seed as () => number)()); // 5
 * ```
 */
export function instantiateSync(
  module: Module,
  imports: Imports = {},
  options?: InstantiateOptions,
): Instance {
  if (!isModule(module)) {
    throw new LinkError(
      `instantiate expects a Module from compile(), got ${
        module === null ? "null" : typeof module === "object" ? "another object" : typeof module
      }`,
    );
  }
  if (imports === null || typeof imports !== "object") {
    throw new LinkError(
      `the imports argument must be an object, got ${imports === null ? "null" : typeof imports}`,
    );
  }
  const max = maxInstancesOf(options);
  const parts = moduleParts(module);
  const compiled = parts.blob.compiled;
  const site: Site = { parent: null, parts, depth: 0 };
  // Check host values against the module type once, at the boundary; inside
  // a blob, validation has already checked every argument statically.
  const args = new Map<string, unknown>();
  const tables = compiled.types;
  const path = pathOf(site);
  for (const declared of tables.modules[compiled.modules[parts.index].type].imports) {
    // Own properties only: `{}` does not provide "constructor".
    const value = Object.hasOwn(imports, declared.name) ? imports[declared.name] : undefined;
    if (value === undefined) throw missingImport([declared.name], tables, declared.type, path);
    args.set(declared.name, hostImport(value, tables, declared.type, [declared.name], path));
  }
  return run(site, (name) => args.get(name), { left: max, max });
}

/**
 * Instantiates a module with host imports; see {@linkcode instantiateSync}
 * for the shape of `imports`. Core modules are already compiled, so this
 * only links: it resolves on the same turn's microtask queue.
 *
 * @example
 * ```ts
 * import { compile, instantiate } from "@mlink/mlink";
 * const m = await compile(`(module (import "env" "log" (func (param i32))) (func (export "run") i32.const 1 call 0))`);
 * const { exports } = await instantiate(m, { env: { log: console.log } });
 * (exports.run as () => void)();
 * ```
 */
export function instantiate(
  module: Module,
  imports?: Imports,
  options?: InstantiateOptions,
): Promise<Instance> {
  try {
    return Promise.resolve(instantiateSync(module, imports, options));
  } catch (e) {
    return Promise.reject(e);
  }
}

/**
 * Where an instantiation happens: a chain of the modules being instantiated,
 * turned into a path of names only when an error needs one (no allocation
 * on the hot path).
 */
interface Site {
  readonly parent: Site | null;
  readonly parts: ModuleParts;
  /** How many instantiations enclose this one: 0 for the one the caller asked for. */
  readonly depth: number;
}

function pathOf(site: Site | null): string[] {
  const path: string[] = [];
  for (let s = site; s !== null; s = s.parent) {
    const name = s.parts.blob.compiled.modules[s.parts.index].name;
    if (name !== "") path.push(name);
  }
  return path.reverse();
}

/** Names a module for messages: its path, or "the top-level module". */
function describeSite(site: Site): string {
  const path = pathOf(site);
  return path.length > 0 ? path.join(" > ") : "the top-level module";
}

/**
 * The prototype of the import objects handed to V8: empty, frozen, with no
 * prototype of its own, so that no module name reaches `Object.prototype`.
 * `Object.create(null)` would do as well, but V8 keeps such objects in slow
 * dictionary mode, on the hot path of every instantiation.
 *
 * The values under `""` stay an array, the fastest for V8 to read: V8 reads
 * only the names the core module imports, which were checked when it was
 * compiled to be exactly `"0"` … `"n-1"`, and the initializers push exactly
 * `n` values, so every name read is an own element and `Array.prototype` is
 * never consulted. (A prototype-free object costs up to a fifth more per
 * core instance.)
 */
const NOTHING: object = Object.freeze(Object.create(null));

/** The import object of a core instance: `values` under `""`, on {@linkcode NOTHING}. */
function coreImports(values: unknown[]): WebAssembly.Imports {
  const importObject: Record<string, unknown> = Object.create(NOTHING);
  importObject[""] = values;
  return importObject as WebAssembly.Imports;
}

/**
 * The import object of every core module that imports nothing, made once.
 * It also keeps V8's hidden class of import objects alive: V8 frees a
 * hidden class when no object has it any more, and an import object dies
 * as soon as its instance exists, so a full GC would free it, and throw
 * away the optimized code V8 specialized to it (as for `Instance`'s).
 */
const NO_IMPORTS = coreImports([]);

/** An instantiation's arguments: the value of the one named `name`, if any. */
type Args = (name: string) => unknown;

/** Arguments of an instantiate that passes none. */
const NO_ARGS: Args = () => undefined;

/** Most arguments of one instantiate that are found by scanning their list. */
const SCANNED_ARGS = 8;

/**
 * A module instance's index spaces, by kind (`Kind.Func` … `Kind.Instance`),
 * each made when first used: most modules use two or three.
 */
type IndexSpaces = unknown[][];

/** Instantiates the module at `site` with `args`, its own instances and nested ones. */
function run(site: Site, args: Args, budget: Budget): Instance {
  spendInstance(site, budget);
  const { blob, index } = site.parts;
  const fused = blob.fused[index];
  if (fused !== undefined) {
    const instance = runFused(site, fused, args, budget);
    if (instance !== null) return instance;
  }
  const spaces: IndexSpaces = new Array(Kind.Instance + 1);
  const coreValues = runInitializers(
    site,
    blob.compiled.modules[index].initializers,
    args,
    budget,
    spaces,
    blob.steps[index],
  );
  const coreExports = instantiateCore(site, coreValues);
  if (blob.coreExportsOnly[index]) {
    return typedInstance(coreExports as Record<string, ExportValue>, instanceTypeRef(blob, index));
  }
  const exports: Record<string, ExportValue> = Object.create(null);
  for (const e of blob.compiled.modules[index].exports) {
    exports[e.name] = (e.local ? coreExports![e.name] : spaces[e.kind][e.index]) as ExportValue;
  }
  return typedInstance(Object.freeze(exports), instanceTypeRef(blob, index));
}

/**
 * Instantiates the module at `site` through its fused form: the host
 * values its program takes, one core instance, and the instances it
 * exports built from that instance's exports. `null` when a host function
 * it takes needs to know its calling instance (`withCaller`): only
 * separate instances can tell it which.
 */
function runFused(site: Site, fused: FusedModule, args: Args, budget: Budget): Instance | null {
  const { blob, index } = site.parts;
  const spaces: IndexSpaces = new Array(Kind.Instance + 1);
  const coreValues = runInitializers(site, fused.initializers, args, budget, spaces) ?? [];
  if (callersInUse() && anyNeedsCaller(coreValues)) return null;
  // Past a limit, separate instances fail where they would, after the
  // starts before them ran: fused, nothing would have run.
  if (site.depth + fusedDepth(fused) > MAX_INSTANTIATION_DEPTH) return null;
  // The root was counted by run(); the instances fused with it count too.
  const count = fused.instances.length - 1;
  if ((budget.left -= count) < 0) {
    budget.left += count;
    return null;
  }
  const core = fusedCoreOf(blob, index, pathOf(site));
  let coreExports: WebAssembly.Exports;
  try {
    coreExports = new WebAssembly.Instance(
      core,
      coreValues.length === 0 ? NO_IMPORTS : coreImports(coreValues),
    ).exports;
  } catch (e) {
    // V8 links every import before anything runs, and the boundary cannot
    // check a wasm function's type: separate instances, run as they are,
    // fail where and when they would, after what ran before.
    if (e instanceof WebAssembly.LinkError) {
      budget.left += fused.instances.length - 1;
      return null;
    }
    if (isStackExhaustion(e)) throw stackTrap(e, fusedTrapPath(e, fused, pathOf(site)));
    throw e;
  }
  if (blob.fusedExportsOnly[index]) {
    return typedInstance(coreExports as Record<string, ExportValue>, instanceTypeRef(blob, index));
  }
  const tables = blob.compiled.types;
  const built: Instance[] = new Array(fused.built.length);
  for (let i = 0; i < fused.built.length; i++) {
    const b = fused.built[i];
    built[i] = typedInstance(exportsFrom(b.exports, coreExports, spaces, built), {
      tables,
      type: b.type,
    });
  }
  return typedInstance(
    exportsFrom(fused.exports, coreExports, spaces, built),
    instanceTypeRef(blob, index),
  );
}

/** The exports object of `list`: each from the fused core instance, the index spaces or `built`. */
function exportsFrom(
  list: readonly BuiltExport[],
  coreExports: WebAssembly.Exports,
  spaces: IndexSpaces,
  built: readonly Instance[],
): Record<string, ExportValue> {
  const exports: Record<string, ExportValue> = Object.create(null);
  for (const e of list) {
    exports[e.name] = (e.from === "core"
      ? coreExports[e.core]
      : e.from === "built"
      ? built[e.index]
      : spaces[e.kind][e.index]) as ExportValue;
  }
  return Object.freeze(exports);
}

/**
 * Runs fused step `k` (`step`) of the module at `site` when its first
 * `instantiate` comes: reads its values from the module's arguments and
 * spaces, makes one core instance (whose start runs the instances' in
 * order) and builds each member's instance. `null` when the members must
 * run as they are instead, nothing of them having happened: a value cannot
 * be read yet as the step reads it, a host function needs its caller, or
 * V8 refuses a host value.
 */
function runStep(
  site: Site,
  step: FusedStep,
  k: number,
  args: Args,
  budget: Budget,
  spaces: IndexSpaces,
): Instance[] | null {
  const { blob, index } = site.parts;
  const stepSpaces: IndexSpaces = new Array(Kind.Instance + 1);
  const coreValues: unknown[] = [];
  for (const v of step.values) {
    let value = v.from === "import"
      ? args(v.name)
      : spaces[v.names.length > 0 ? Kind.Instance : v.kind]?.[v.index];
    for (const name of v.names) {
      // The members, run as they are, would fail on this, where and when they should.
      if (!isInstance(value)) return null;
      value = value.exports[name];
    }
    if (
      v.kind === Kind.Module ? !isModule(value) : v.kind === Kind.Instance && !isInstance(value)
    ) {
      return null;
    }
    stepSpaces[v.kind] = appended(stepSpaces[v.kind], value);
    if (isCoreKind(v.kind)) coreValues.push(value);
  }
  if (callersInUse() && anyNeedsCaller(coreValues)) return null;
  // Past a limit, the members, one by one, fail where they should.
  if (site.depth + fusedDepth(step.fused) > MAX_INSTANTIATION_DEPTH) return null;
  const count = step.fused.instances.length;
  if ((budget.left -= count) < 0) {
    budget.left += count;
    return null;
  }
  const core = stepCoreOf(blob, index, k, pathOf(site));
  let coreExports: WebAssembly.Exports;
  try {
    coreExports = new WebAssembly.Instance(core, coreImports(coreValues)).exports;
  } catch (e) {
    if (e instanceof WebAssembly.LinkError) {
      budget.left += count;
      return null;
    }
    if (isStackExhaustion(e)) throw stackTrap(e, fusedTrapPath(e, step.fused, pathOf(site), false));
    throw e;
  }
  const tables = blob.compiled.types;
  const built: Instance[] = new Array(step.fused.built.length);
  for (let i = 0; i < step.fused.built.length; i++) {
    const b = step.fused.built[i];
    built[i] = typedInstance(exportsFrom(b.exports, coreExports, stepSpaces, built), {
      tables,
      type: b.type,
    });
  }
  return step.memberBuilt.map((m) => built[m]);
}

/** How deep below the fused module (or step) its instances nest, found once from their paths. */
const fusedDepths = new WeakMap<FusedModule, number>();

function fusedDepth(fused: FusedModule): number {
  let depth = fusedDepths.get(fused);
  if (depth === undefined) {
    depth = 0;
    // A path is the module names below, joined by " > "; a name holding
    // " > " itself only makes this deeper than it is, and so cautious.
    for (const path of fused.instances) depth = Math.max(depth, path.split(" > ").length);
    fusedDepths.set(fused, depth);
  }
  return depth;
}

/**
 * The path of the fused instance whose code is on top of the stack of `e`
 * (V8 writes each wasm frame's byte offset in its module), under `path`,
 * the fused module's own; `path` when the stack shows none.
 */
function fusedTrapPath(
  e: unknown,
  fused: FusedModule,
  path: string[],
  lastIsSelf = true,
): string[] {
  const frame = /wasm-function\[\d+\]:0x([0-9a-f]+)/.exec(e instanceof Error ? e.stack ?? "" : "");
  if (frame === null) return path;
  const offset = parseInt(frame[1], 16);
  let at = -1;
  // The last instance whose code starts at or before the offset (one with no code starts where the next does).
  for (let i = 0; i < fused.code.length; i++) {
    if (fused.code[i] <= offset) at = i;
  }
  // The last instance is the fused module itself (a step's last is a member).
  if (at < 0 || (lastIsSelf && at === fused.instances.length - 1)) return path;
  return [...path, fused.instances[at]];
}

/** Counts one more instance against the nesting depth and the caller's budget. */
function spendInstance(site: Site, budget: Budget): void {
  if (site.depth > MAX_INSTANTIATION_DEPTH) {
    throw new LinkError(
      `instantiation nested more than ${MAX_INSTANTIATION_DEPTH} deep`,
      { path: pathOf(site).slice(0, 3) },
    );
  }
  if (--budget.left < 0) {
    throw new LinkError(
      `instantiation limit reached: one instantiate may create at most ${budget.max} instances (option maxInstances)`,
      { path: pathOf(site) },
    );
  }
}

/**
 * Runs `initializers`, an instantiation program of the module at `site`,
 * filling its index spaces; returns the values its core module imports, in
 * push order (`undefined` for none).
 */
function runInitializers(
  site: Site,
  initializers: readonly Initializer[],
  args: Args,
  budget: Budget,
  spaces: IndexSpaces,
  steps?: readonly FusedStep[],
): unknown[] | undefined {
  const { blob, upvars } = site.parts;
  let coreValues: unknown[] | undefined;
  // The instances fused steps made, by the position of the `instantiate` each stands for.
  let prepared: Map<number, Instance> | undefined;
  let nextStep = 0;
  // Indexed: V8's first optimizing tier runs a for-of here measurably slower.
  for (let i = 0; i < initializers.length; i++) {
    const init = initializers[i];
    if (steps !== undefined && nextStep < steps.length && steps[nextStep].members[0] === i) {
      const step = steps[nextStep];
      const made = runStep(site, step, nextStep++, args, budget, spaces);
      if (made !== null) {
        prepared ??= new Map();
        for (let k = 0; k < made.length; k++) prepared.set(step.members[k], made[k]);
      }
    }
    switch (init.op) {
      case "import":
      case "alias": {
        const value = init.op === "import"
          ? args(init.name)
          : instanceIn(spaces[Kind.Instance][init.instance], site).exports[init.name];
        if (!isCoreKind(init.kind)) checkLinkingValue(value, init.kind, init.name, site);
        spaces[init.kind] = appended(spaces[init.kind], value);
        if (isCoreKind(init.kind)) coreValues = appended(coreValues, value);
        break;
      }
      case "upvar":
        spaces[Kind.Module] = appended(spaces[Kind.Module], upvars[init.index]);
        break;
      case "module":
        spaces[Kind.Module] = appended(
          spaces[Kind.Module],
          nestedModule(blob, init.compiled, spaces[Kind.Module], upvars),
        );
        break;
      case "instantiate":
        spaces[Kind.Instance] = appended(
          spaces[Kind.Instance],
          prepared?.get(i) ?? instantiateChild(init, site, budget, spaces),
        );
        break;
      case "instance":
        spaces[Kind.Instance] = appended(
          spaces[Kind.Instance],
          instanceOfItems(init, spaces, blob.compiled.types),
        );
        break;
      default:
        unreachable(init, "initializer");
    }
  }
  return coreValues;
}

/**
 * `list` with `value` added at the end. A list is made when its first item
 * comes, holding exactly that item: most index spaces hold one or two, and
 * an array grown from empty would reserve room for sixteen.
 */
function appended(list: unknown[] | undefined, value: unknown): unknown[] {
  if (list === undefined) return [value];
  list.push(value);
  return list;
}

/** Runs an `instantiate` initializer: module `init.module` with arguments from `spaces`. */
function instantiateChild(
  init: Extract<Initializer, { op: "instantiate" }>,
  site: Site,
  budget: Budget,
  spaces: IndexSpaces,
): Instance {
  const target = spaces[Kind.Module][init.module];
  // Checked here rather than by checkLinkingValue, whose name for the error
  // would be a string made on every instantiation.
  if (!isModule(target)) {
    throw notLinkingValue(target, Kind.Module, `module ${init.module}`, site);
  }
  const parts = moduleParts(target);
  return run({ parent: site, parts, depth: site.depth + 1 }, argsOf(init.args, spaces), budget);
}

/**
 * The arguments `list` of an `instantiate`, each item of `spaces`, the
 * instantiating module's index spaces. Scanned for when the child's imports
 * ask, without a Map made per instantiation: the items are there already,
 * and `spaces` only grows, never while the child runs. The scan goes from
 * the end so that, as in a Map, the last of two equal names wins.
 */
function argsOf(list: readonly InstantiateArg[], spaces: IndexSpaces): Args {
  if (list.length === 0) return NO_ARGS;
  if (list.length > SCANNED_ARGS) {
    const named = new Map<string, unknown>();
    for (const arg of list) named.set(arg.name, spaces[arg.kind][arg.index]);
    return (name) => named.get(name);
  }
  return (name) => {
    for (let i = list.length - 1; i >= 0; i--) {
      const arg = list[i];
      if (arg.name === name) return spaces[arg.kind][arg.index];
    }
    return undefined;
  };
}

/**
 * Runs an `instance` initializer: a new instance whose exports are items of
 * the index spaces, typed with the instance type validation gave it.
 */
function instanceOfItems(
  init: Extract<Initializer, { op: "instance" }>,
  spaces: IndexSpaces,
  tables: TypeTables,
): Instance {
  const exports: Record<string, ExportValue> = Object.create(null);
  for (const e of init.exports) exports[e.name] = spaces[e.kind][e.index] as ExportValue;
  return typedInstance(Object.freeze(exports), { tables, type: init.type });
}

/**
 * Instantiates the core module of the module at `site` with `coreValues`
 * (`undefined` for none); its exports, or `undefined` when the module has
 * no core module.
 */
function instantiateCore(
  site: Site,
  coreValues: unknown[] | undefined,
): WebAssembly.Exports | undefined {
  const { blob, index } = site.parts;
  const compiled = blob.compiled.modules[index];
  const core = compiled.core === null
    ? null
    : blob.cores[index] ?? coreModuleOf(blob, index, pathOf(site));
  if (core === null) return undefined;
  const caller = coreValues !== undefined && callersInUse()
    ? bindCallerImports(coreValues, () => describeSite(site))
    : null;
  const imports = coreValues === undefined ? NO_IMPORTS : coreImports(coreValues);
  try {
    const exports = new WebAssembly.Instance(core, imports).exports;
    caller?.attach(exports);
    return exports;
  } catch (e) {
    if (e instanceof WebAssembly.LinkError) throw coreLinkError(e, compiled, pathOf(site));
    if (isStackExhaustion(e)) throw stackTrap(e, pathOf(site));
    throw e;
  }
}

/**
 * Whether `e` is V8's stack overflow. Thrown out of `new
 * WebAssembly.Instance`, it comes from the start functions running.
 */
function isStackExhaustion(e: unknown): boolean {
  return e instanceof RangeError && e.message.includes("Maximum call stack size exceeded");
}

/** Stack exhaustion in wasm is a trap, as the core spec has it. */
function stackTrap(e: unknown, path: readonly string[]): WebAssembly.RuntimeError {
  const where = path.length > 0 ? ` in ${path.join(" > ")}` : "";
  return new WebAssembly.RuntimeError(
    `call stack exhausted${where} while start functions ran`,
    { cause: e },
  );
}

/** Checked so that a damaged artifact cannot turn into a raw TypeError deep inside. */
function instanceIn(value: unknown, site: Site): Instance {
  checkLinkingValue(value, Kind.Instance, "aliased instance", site);
  return value as Instance;
}

/** Checks that a module or instance the program passes on is one. */
function checkLinkingValue(
  value: unknown,
  kind: typeof Kind.Module | typeof Kind.Instance,
  what: string,
  site: Site,
): void {
  if (kind === Kind.Module ? isModule(value) : isInstance(value)) return;
  throw notLinkingValue(value, kind, what, site);
}

function notLinkingValue(
  value: unknown,
  kind: typeof Kind.Module | typeof Kind.Instance,
  what: string,
  site: Site,
): LinkError {
  return new LinkError(
    `${what}: expected ${
      kind === Kind.Module ? "a module" : "an instance"
    }, got ${typeof value} (corrupt artifact or host object)`,
    { path: pathOf(site) },
  );
}

/** Rewords V8's link error, which names our synthetic core import, to name the real import. */
function coreLinkError(
  e: Error,
  compiled: CompiledModule,
  path: readonly string[],
): LinkError {
  const match = /Import #(\d+)[^:]*:\s*(.*)$/s.exec(e.message);
  if (match === null) {
    return new LinkError(`incompatible import type: ${e.message}`, { path }, {
      cause: e,
    });
  }
  const names = coreImportNames(compiled, Number(match[1]));
  const where = names.map((n) => JSON.stringify(n)).join(" ");
  return new LinkError(
    `incompatible import type for \`${names[0]}\`: import ${where}: ${match[2]}`,
    { path },
    { cause: e },
  );
}

/** The names of the initializer that produced core import `n`. */
function coreImportNames(compiled: CompiledModule, n: number): string[] {
  const instanceNames: string[][] = [];
  let seen = 0;
  for (const init of compiled.initializers) {
    if (init.op === "instantiate" || init.op === "instance") {
      instanceNames.push([`instance ${instanceNames.length}`]);
    }
    if (init.op !== "import" && init.op !== "alias") continue;
    const names = init.op === "import" ? [init.name] : [
      ...(instanceNames[init.instance] ?? [`instance ${init.instance}`]),
      init.name,
    ];
    if (init.kind === Kind.Instance) instanceNames.push(names);
    if (isCoreKind(init.kind) && seen++ === n) return names;
  }
  return [`core import ${n}`];
}
