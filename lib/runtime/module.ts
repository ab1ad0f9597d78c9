/**
 * `Module`: a compiled module-linking module, ready to instantiate. Cheap to
 * create: it shares its blob with every other module of the same binary and
 * only adds which module of the blob it is and what it closed over.
 *
 * @module
 */

import { readArtifact } from "../artifact/read.ts";
import { writeArtifact } from "../artifact/write.ts";
import type {
  CompiledBlob,
  CompiledExport,
  CompiledModule,
  FusedModule,
  FusedStep,
  Initializer,
} from "../compiled.ts";
import { CompileError, LinkError } from "../errors.ts";
import { formatEntityType, formatValType } from "../format.ts";
import { type CoreKind, type EntityKind, isCoreKind, Kind, kindName, withArticle } from "../ir.ts";
import type { EntityType, TypeTables } from "../types.ts";
import { MAX_NESTING_DEPTH } from "../limits.ts";

/**
 * A compiled blob as the runtime holds it: the compiled description plus the
 * `WebAssembly.Module` of each core module, made at most once.
 */
export interface LoadedBlob {
  readonly compiled: CompiledBlob;
  readonly cores: (WebAssembly.Module | undefined)[];
  /** The instance type of each module's instances, made once. */
  readonly instanceTypes: (InstanceTypeRef | undefined)[];
  /** Module values of modules that close over nothing: one per blob is enough. */
  readonly closed: (Module | undefined)[];
  /**
   * Whether every export of module `i` comes from its core instance: then
   * the core instance's exports object (already frozen, without prototype)
   * is the instance's exports object, and nothing is copied.
   */
  readonly coreExportsOnly: boolean[];
  /** Each module's fused form, if it has one. */
  readonly fused: (FusedModule | undefined)[];
  /** The `WebAssembly.Module` of each fused form, made at most once. */
  readonly fusedCores: (WebAssembly.Module | undefined)[];
  /** As `coreExportsOnly`, for the fused forms. */
  readonly fusedExportsOnly: boolean[];
  /** Each module's fused steps, if it has some (see `FusedStep`). */
  readonly steps: (readonly FusedStep[] | undefined)[];
  /** The `WebAssembly.Module` of each fused step, by module, made at most once. */
  readonly stepCores: (WebAssembly.Module | undefined)[][];
  /**
   * Whether each core module is checked against its description when V8
   * has compiled it: for blobs read from artifacts, whose core bytes and
   * descriptions could have been crafted apart. The compiler makes both
   * from one module, so its blobs skip the check (and its cost).
   */
  readonly untrusted: boolean;
}

/** Blobs made by {@linkcode loadBlob}: `new Module` takes no other. */
const loadedBlobs = new WeakSet<LoadedBlob>();

/**
 * Wraps a compiled blob for the runtime; no core module is compiled yet.
 * `from` says where it comes from: `"artifact"` for anything read from
 * outside, whose core modules are then checked against their descriptions.
 */
export function loadBlob(
  compiled: CompiledBlob,
  from: "compiler" | "artifact" = "compiler",
): LoadedBlob {
  const count = compiled.modules.length;
  const blob: LoadedBlob = {
    compiled,
    cores: new Array(count),
    instanceTypes: new Array(count),
    closed: new Array(count),
    coreExportsOnly: compiled.modules.map((module) =>
      module.core !== null && module.exports.every((e) => e.local)
    ),
    untrusted: from === "artifact",
    fused: compiled.modules.map((module) => fusedFormOf(module)),
    fusedCores: new Array(count),
    steps: compiled.modules.map((module) => {
      const fusion = module.fusion;
      return fusion !== null && "reason" in fusion ? fusion.steps : undefined;
    }),
    stepCores: compiled.modules.map(() => []),
    fusedExportsOnly: compiled.modules.map((module) => {
      const fused = fusedFormOf(module);
      // The core exports exactly the module's exports when each reads its own name.
      return fused !== undefined && fused.built.length === 0 &&
        fused.exports.every((e) => e.from === "core" && e.core === e.name);
    }),
  };
  loadedBlobs.add(blob);
  return blob;
}

/** The fused form of `module`, if fusion made one. */
export function fusedFormOf(module: CompiledModule): FusedModule | undefined {
  const fusion = module.fusion;
  return fusion === null || "reason" in fusion ? undefined : fusion;
}

/**
 * The static type of an instance: an instance type in some tables. A module
 * gives its instances theirs ({@linkcode instanceTypeRef}); an `Instance`
 * keeps it for import matching.
 */
export interface InstanceTypeRef {
  readonly tables: TypeTables;
  readonly type: number;
}

/** The static type of the instances of module `index` of a blob. */
export function instanceTypeRef(blob: LoadedBlob, index: number): InstanceTypeRef {
  return blob.instanceTypes[index] ??= {
    tables: blob.compiled.types,
    type: blob.compiled.modules[index].instanceType,
  };
}

/** Kinds as `Module.imports()` and `Module.exports()` name them. */
export type ExternKind =
  | "func"
  | "table"
  | "memory"
  | "global"
  | "tag"
  | "module"
  | "instance";

/**
 * An import of a module, as written in its binary.
 *
 * @example
 * ```ts
 * import { compile } from "@mlink/mlink";
 * const module = await compile(`(module (import "env" "log" (func (param i32))))`);
 * console.log(module.imports());
 * // [{ module: "env", name: "log", kind: "func", type: "(func (param i32))" }]
 * ```
 */
export interface ModuleImportDescriptor {
  /** First (or only) name. */
  module: string;
  /** Second name of a two-level import; `null` for a single-level import. */
  name: string | null;
  /** What is imported: a function, table, memory, global, tag, module or instance. */
  kind: ExternKind;
  /** The expected type in text syntax, e.g. `(func (param i32))`. */
  type: string;
}

/**
 * An export of a module.
 *
 * @example
 * ```ts
 * import { compile } from "@mlink/mlink";
 * const module = await compile(`(module (func (export "add") (param i32 i32) (result i32)
 *   (i32.add (local.get 0) (local.get 1))))`);
 * const [add] = module.exports();
 * console.log(add.name, add.kind, add.params, add.results); // add func ["i32", "i32"] ["i32"]
 * ```
 */
export interface ModuleExportDescriptor {
  /** The export's name. */
  name: string;
  /** What is exported: a function, table, memory, global, tag, module or instance. */
  kind: ExternKind;
  /** Its type in text syntax. */
  type: string;
  /** For a function: its parameter types, e.g. `["i32", "i64"]`. */
  params?: string[];
  /** For a function: its result types. */
  results?: string[];
}

/** What the runtime reads of a module value. */
export interface ModuleParts {
  readonly blob: LoadedBlob;
  readonly index: number;
  readonly upvars: readonly Module[];
}

let partsOfModule: (module: Module) => ModuleParts;
let isRealModule: (value: unknown) => value is Module;

/**
 * A compiled module-linking module. Get one from `compile` or
 * `Module.deserialize`, or as a module exported by an instance.
 *
 * @example
 * ```ts
 * import { compile, instantiate } from "@mlink/mlink";
 * const module = await compile(`(module (func (export "f") (result i32) i32.const 7))`);
 * console.log(module.exports()); // [{ name: "f", kind: "func", type: "(func (result i32))" }]
 * const instance = await instantiate(module);
 * ```
 */
export class Module {
  readonly #parts: ModuleParts;

  static {
    partsOfModule = (module) => module.#parts;
    isRealModule = (value): value is Module =>
      typeof value === "object" && value !== null && #parts in value;
  }

  /**
   * Internal: modules come from `compile`, `Module.deserialize` or instance
   * exports. Anything else is a `CompileError` here rather than a
   * `TypeError` deep inside `instantiate`.
   */
  constructor(blob: LoadedBlob, index: number, upvars: readonly Module[] = []) {
    const modules = loadedBlobs.has(blob) ? blob.compiled.modules : undefined;
    if (
      modules === undefined || !Number.isInteger(index) || index < 0 ||
      index >= modules.length || !Array.isArray(upvars) ||
      upvars.length !== modules[index].upvars.length || !upvars.every(isModule)
    ) {
      throw new CompileError(
        "new Module() is internal: get a Module from compile(), Module.deserialize() or an instance's exports",
      );
    }
    this.#parts = { blob, index, upvars };
  }

  /**
   * Serializes the module into a portable artifact: its compiled blob (core
   * wasm bytes, types, initializers) and every module it closed over, each
   * blob once. `Module.deserialize` loads it without compiling again.
   *
   * @example
   * ```ts
   * import { compile, Module } from "@mlink/mlink";
   * const bytes = (await compile(`(module (func (export "f")))`)).serialize();
   * const again = Module.deserialize(bytes);
   * ```
   */
  serialize(): Uint8Array {
    checkedParts(this, "serialize");
    const blobs: CompiledBlob[] = [];
    const blobIndex = new Map<LoadedBlob, number>();
    const nodes: { blob: number; module: number; upvars: number[] }[] = [];
    const nodeIndex = new Map<Module, number>();
    // Upvars before the module that captures them, with an explicit stack:
    // a chain of closures, each made by instantiating the one before, is as
    // deep as the program likes. Upvars are pushed last first, so the order
    // (and the bytes) are those of a depth-first walk in upvar order.
    const stack: Module[] = [this];
    while (stack.length > 0) {
      const module = stack[stack.length - 1];
      if (nodeIndex.has(module)) {
        stack.pop();
        continue;
      }
      const parts = module.#parts;
      const before = stack.length;
      for (let u = parts.upvars.length - 1; u >= 0; u--) {
        if (!nodeIndex.has(parts.upvars[u])) stack.push(parts.upvars[u]);
      }
      if (stack.length > before) continue;
      stack.pop();
      let blob = blobIndex.get(parts.blob);
      if (blob === undefined) {
        blob = blobs.push(parts.blob.compiled) - 1;
        blobIndex.set(parts.blob, blob);
      }
      const upvars = parts.upvars.map((u) => nodeIndex.get(u)!);
      nodeIndex.set(module, nodes.push({ blob, module: parts.index, upvars }) - 1);
    }
    return writeArtifact({ blobs, nodes, root: nodeIndex.get(this)! });
  }

  /**
   * Loads a module from an artifact made by `serialize`. No text parsing,
   * no module-linking validation: the artifact's metadata is checked (its
   * modules must form a tree, its exports match their types), and each core
   * module is compiled by V8, and checked against its description, the
   * first time it is instantiated. Throws `ArtifactError` for a truncated,
   * corrupt or foreign artifact; `source` names it in messages.
   */
  static deserialize(bytes: Uint8Array, source?: string): Module {
    const graph = readArtifact(bytes, source);
    const blobs = graph.blobs.map((b) => loadBlob(b, "artifact"));
    const modules: Module[] = [];
    for (const node of graph.nodes) {
      modules.push(
        new Module(
          blobs[node.blob],
          node.module,
          node.upvars.map((u) => modules[u]),
        ),
      );
    }
    return modules[graph.root];
  }

  /** The module's name from its binary's name section (`""` when it has none). */
  get name(): string {
    const { blob, index } = checkedParts(this, "name");
    return blob.compiled.modules[index].name.replace(/^module \$?/, "");
  }

  /** The module's imports, in binary order. */
  imports(): ModuleImportDescriptor[] {
    const { blob, index } = checkedParts(this, "imports");
    const tables = blob.compiled.types;
    return blob.compiled.modules[index].imports.map((imported) => ({
      module: imported.module,
      name: imported.field,
      kind: kindName(imported.type.kind) as ExternKind,
      type: formatEntityType(tables, imported.type),
    }));
  }

  /** The module's exports, in binary order. */
  exports(): ModuleExportDescriptor[] {
    const { blob, index } = checkedParts(this, "exports");
    const tables = blob.compiled.types;
    return tables.modules[blob.compiled.modules[index].type].exports.map((e) => {
      const descriptor: ModuleExportDescriptor = {
        name: e.name,
        kind: kindName(e.type.kind) as ExternKind,
        type: formatEntityType(tables, e.type),
      };
      if (e.type.kind === Kind.Func) {
        const f = tables.funcs[e.type.type];
        descriptor.params = f.params.map(formatValType);
        descriptor.results = f.results.map(formatValType);
      }
      return descriptor;
    });
  }

  /**
   * Whether compiling fused this module's instance graph into one core
   * module (see `docs/fusion.md`): which instances it fused, in the order
   * they are created, or why it did not; `steps`, the runs of its own
   * instances fused even so; and `nested`, the modules nested in it that
   * run fused on their own (the closed parts of a graph that is not, or
   * module values instantiated later), each when there are any.
   *
   * @example
   * ```ts
   * import { compile } from "@mlink/mlink";
   * const m = await compile(`(module (module $c (func (export "f"))) (instance (instantiate $c)))`);
   * console.log(m.fusion()); // { fused: true, instances: ["module $c", "the module itself"] }
   * ```
   */
  fusion(): FusionReport {
    const { blob, index } = checkedParts(this, "fusion");
    const fusion = blob.compiled.modules[index].fusion;
    const report: FusionReport = fusion === null
      ? {
        fused: false,
        reason:
          "fusion was not tried: compiled with fuse: false, or a nested module with nothing to fuse of its own",
      }
      : "reason" in fusion
      ? { fused: false, reason: fusion.reason }
      : { fused: true, instances: [...fusion.instances] };
    const steps = fusion !== null && "reason" in fusion ? fusion.steps : undefined;
    const withSteps: FusionReport = steps === undefined ? report : {
      ...report,
      steps: steps.map((step) => ({ instances: [...step.fused.instances] })),
    };
    const nested = nestedFusions(blob.compiled, index);
    return nested.length === 0 ? withSteps : { ...withSteps, nested };
  }
}

/**
 * A module nested in another that runs fused on its own: one entry of
 * {@linkcode FusionReport}'s `nested`.
 *
 * @example
 * ```ts
 * import { compile, type NestedFusion } from "@mlink/mlink";
 * const m = await compile(`(module
 *   (import "plugin" (module $plugin))
 *   (instance (instantiate $plugin))
 *   (module $app (module $c (func (export "f"))) (instance (instantiate $c)))
 *   (instance (instantiate $app)))`);
 * const nested: NestedFusion[] = m.fusion().nested ?? [];
 * console.log(nested); // [{ module: "module $app", instances: ["module $c", "the module itself"] }]
 * ```
 */
export interface NestedFusion {
  /** Its path of module names below the module asked, `module $a > module $b`. */
  module: string;
  /** The instances fused, as in {@linkcode FusionReport}. */
  instances: string[];
}

/** The fused forms of the modules nested in module `index` of `compiled`, parents first. */
function nestedFusions(compiled: CompiledBlob, index: number): NestedFusion[] {
  const found: NestedFusion[] = [];
  const visit = (parent: number, prefix: string, depth: number) => {
    // Decoding bounds module nesting; a crafted artifact's tree stops here too.
    if (depth > MAX_NESTING_DEPTH) return;
    for (const child of compiled.modules[parent].children) {
      const { name, fusion } = compiled.modules[child];
      const path = prefix === ""
        ? name || `module ${child}`
        : `${prefix} > ${name || `module ${child}`}`;
      if (fusion !== null && !("reason" in fusion)) {
        found.push({ module: path, instances: [...fusion.instances] });
      }
      visit(child, path, depth + 1);
    }
  };
  visit(index, "", 0);
  return found;
}

/** What {@linkcode Module.fusion} tells of a module. */
export type FusionReport =
  & (
    | {
      /** It runs as one core module. */
      fused: true;
      /** The instances fused, in the order they are created: their paths of module names. */
      instances: string[];
    }
    | {
      /** It runs one core instance per instance. */
      fused: false;
      /** Why. */
      reason: string;
    }
  )
  & {
    /**
     * When it does not run as one core module: the runs of its own
     * instances that do, each made at once when its first comes (its fused
     * steps), when there are any.
     */
    steps?: { instances: string[] }[];
    /** Modules nested in it that run fused on their own, when there are any. */
    nested?: NestedFusion[];
  };

/**
 * The parts of `value`, which a method was called on: a `LinkError` when it
 * is not a real Module (an object made with `Object.create(Module.prototype)`,
 * or a method borrowed onto another object), rather than JS's `TypeError`.
 */
function checkedParts(value: unknown, member: string): ModuleParts {
  if (!isRealModule(value)) {
    throw new LinkError(
      `Module.prototype.${member} used on an object that is not a Module from compile() or Module.deserialize()`,
    );
  }
  return partsOfModule(value);
}

/**
 * The module value of module `index` of a blob, created by an instance of
 * its enclosing module, whose module index space is `space` and whose own
 * captured modules are `upvars`. A module that captures nothing is the same
 * value every time, so it is made once.
 */
export function nestedModule(
  blob: LoadedBlob,
  index: number,
  space: readonly unknown[] | undefined,
  upvars: readonly Module[],
): Module {
  // The cache first: its array is hot, the module's description may not be.
  const closed = blob.closed[index];
  if (closed !== undefined) return closed;
  const wanted = blob.compiled.modules[index].upvars;
  if (wanted.length === 0) return blob.closed[index] = new Module(blob, index);
  return new Module(
    blob,
    index,
    wanted.map((u) => (u.from === "space" ? space![u.index] : upvars[u.index]) as Module),
  );
}

/** The runtime's view of a module value. */
export function moduleParts(module: Module): ModuleParts {
  return partsOfModule(module);
}

/**
 * Whether `value` is a `Module` made by this module. Unlike `instanceof`,
 * `Object.create(Module.prototype)` is not one.
 */
export function isModule(value: unknown): value is Module {
  return isRealModule(value);
}

/** The module type of a module value, with the tables it indexes. */
export function moduleTypeOf(module: Module): { tables: TypeTables; type: EntityType } {
  const { blob, index } = partsOfModule(module);
  return {
    tables: blob.compiled.types,
    type: { kind: Kind.Module, type: blob.compiled.modules[index].type },
  };
}

/**
 * The `WebAssembly.Module` of core module `index` of a blob, compiled
 * synchronously the first time it is needed, and checked against the
 * module's description.
 */
export function coreModuleOf(
  blob: LoadedBlob,
  index: number,
  path: readonly string[],
): WebAssembly.Module | null {
  const cached = blob.cores[index];
  if (cached !== undefined) return cached;
  const compiled = blob.compiled.modules[index];
  if (compiled.core === null) return null;
  let core: WebAssembly.Module;
  try {
    core = new WebAssembly.Module(compiled.core as Uint8Array<ArrayBuffer>);
  } catch (e) {
    throw coreCompileError(e, path);
  }
  if (blob.untrusted) checkCoreShape(compiled, core, path);
  return blob.cores[index] = core;
}

/**
 * The `WebAssembly.Module` of the fused form of module `index`, compiled
 * on first use (and checked against the fused form when the blob came
 * from an artifact).
 */
export function fusedCoreOf(
  blob: LoadedBlob,
  index: number,
  path: readonly string[],
): WebAssembly.Module {
  const cached = blob.fusedCores[index];
  if (cached !== undefined) return cached;
  const fused = blob.fused[index]!;
  let core: WebAssembly.Module;
  try {
    core = new WebAssembly.Module(fused.core as Uint8Array<ArrayBuffer>);
  } catch (e) {
    throw coreCompileError(e, path, "fused core module");
  }
  if (blob.untrusted) checkCoreShape(fusedShape(blob.compiled.modules[index], fused), core, path);
  return blob.fusedCores[index] = core;
}

/**
 * The `WebAssembly.Module` of fused step `k` of module `index`, compiled on
 * first use (and checked against the step when the blob came from an
 * artifact).
 */
export function stepCoreOf(
  blob: LoadedBlob,
  index: number,
  k: number,
  path: readonly string[],
): WebAssembly.Module {
  const cached = blob.stepCores[index][k];
  if (cached !== undefined) return cached;
  const step = blob.steps[index]![k];
  let core: WebAssembly.Module;
  try {
    core = new WebAssembly.Module(step.fused.core as Uint8Array<ArrayBuffer>);
  } catch (e) {
    throw coreCompileError(e, path, "fused core module");
  }
  if (blob.untrusted) {
    // Its imports are the core kinds among the values it reads, in order.
    const initializers = step.values.map((v): Initializer => ({
      op: "import",
      name: "",
      kind: v.kind,
    }));
    const shape = { ...fusedShape(blob.compiled.modules[index], step.fused), initializers };
    checkCoreShape(shape, core, path);
  }
  return blob.stepCores[index][k] = core;
}

/**
 * A fused form as the module whose shape its core module must have: the
 * fused program, and as local exports the core-kind exports and every core
 * export a built instance reads.
 */
function fusedShape(module: CompiledModule, fused: FusedModule): CompiledModule {
  const exports: CompiledExport[] = [];
  const names = new Set<string>();
  for (const list of [fused.exports, ...fused.built.map((b) => b.exports)]) {
    for (const e of list) {
      if (e.from !== "core" || names.has(e.core)) continue;
      names.add(e.core);
      exports.push({ name: e.core, kind: e.kind, index: 0, local: true });
    }
  }
  return { ...module, initializers: fused.initializers, exports };
}

/** Wraps V8's core validation error so that it names the nested module it came from. */
function coreCompileError(
  e: unknown,
  path: readonly string[],
  what = "core module",
): CompileError {
  const message = e instanceof Error ? e.message : String(e);
  return new CompileError(`invalid ${what}: ${message}`, { path }, {
    cause: e,
  });
}

/** What `WebAssembly.Module.imports()` and `.exports()` call each core kind. */
const V8_KIND_NAMES: Readonly<Record<CoreKind, string>> = {
  [Kind.Func]: "function",
  [Kind.Table]: "table",
  [Kind.Memory]: "memory",
  [Kind.Global]: "global",
  [Kind.Tag]: "tag",
};

/**
 * Checks a core module read from an artifact against the description that
 * instantiates it, once, when it is compiled. Nothing else holds a crafted
 * artifact to this: V8 only checks that the core module is valid.
 */
function checkCoreShape(
  compiled: CompiledModule,
  core: WebAssembly.Module,
  path: readonly string[],
): void {
  checkCoreImports(compiled, core, path);
  checkCoreExports(compiled, core, path);
}

function shapeMismatch(reason: string, path: readonly string[]): CompileError {
  return new CompileError(`core module does not match its module: ${reason}`, { path });
}

/**
 * A core module's imports must be exactly the values the initializers push
 * (`"" "0"`, `"" "1"`, … of the kinds pushed), so that V8 reads nothing else
 * of the import object.
 */
function checkCoreImports(
  compiled: CompiledModule,
  core: WebAssembly.Module,
  path: readonly string[],
): void {
  const pushed: CoreKind[] = [];
  for (const init of compiled.initializers) {
    if ((init.op === "import" || init.op === "alias") && isCoreKind(init.kind)) {
      pushed.push(init.kind);
    }
  }
  const imports = WebAssembly.Module.imports(core);
  for (let i = 0; i < imports.length; i++) {
    const { module, name, kind } = imports[i];
    if (module !== "" || name !== String(i) || i >= pushed.length) {
      throw shapeMismatch(
        `it imports ${JSON.stringify(module)} ${
          JSON.stringify(name)
        }, which the instantiation program does not provide`,
        path,
      );
    }
    if (kind !== V8_KIND_NAMES[pushed[i]]) {
      throw shapeMismatch(
        `its import ${i} is ${withArticle(kind)}, the instantiation program provides ${
          withArticle(kindName(pushed[i]))
        }`,
        path,
      );
    }
  }
  if (imports.length !== pushed.length) {
    throw shapeMismatch(
      `it imports ${imports.length} values, the instantiation program provides ${pushed.length}`,
      path,
    );
  }
}

/**
 * A core module's exports must be exactly the module's local exports, by
 * name and kind, since its exports object may become the instance's.
 */
function checkCoreExports(
  compiled: CompiledModule,
  core: WebAssembly.Module,
  path: readonly string[],
): void {
  const local = new Map<string, EntityKind>();
  for (const e of compiled.exports) {
    if (!e.local) continue;
    if (local.has(e.name)) {
      throw shapeMismatch(`export ${JSON.stringify(e.name)} is listed twice`, path);
    }
    local.set(e.name, e.kind);
  }
  for (const { name, kind } of WebAssembly.Module.exports(core)) {
    const want = local.get(name);
    if (want === undefined) {
      throw shapeMismatch(`it exports ${JSON.stringify(name)}, which the module does not`, path);
    }
    if (!isCoreKind(want) || kind !== V8_KIND_NAMES[want]) {
      throw shapeMismatch(
        `export ${JSON.stringify(name)} is ${withArticle(kindName(want))}, the core module's is ${
          withArticle(kind)
        }`,
        path,
      );
    }
    local.delete(name);
  }
  const [missing] = local.keys();
  if (missing !== undefined) {
    throw shapeMismatch(`export ${JSON.stringify(missing)} is missing from the core module`, path);
  }
}

/**
 * Compiles every core module of a blob with V8, in parallel, so that errors
 * surface at compile time and instantiation does no compiling.
 */
export async function compileCores(
  blob: LoadedBlob,
  paths: readonly (readonly string[])[],
): Promise<void> {
  // A fused module (or step) needs only its fused core: the cores it covers
  // compile if ever needed (a module value the host instantiates, say).
  const covered = new Set<number>();
  blob.fused.forEach((fused, i) => {
    if (fused === undefined) return;
    fusedCoreOf(blob, i, paths[i]);
    for (const m of fused.modules) covered.add(m);
  });
  blob.steps.forEach((steps, i) => {
    steps?.forEach((step, k) => {
      stepCoreOf(blob, i, k, paths[i]);
      for (const m of step.fused.modules) covered.add(m);
    });
  });
  await Promise.all(blob.compiled.modules.map(async (compiled, i) => {
    if (compiled.core === null || blob.cores[i] !== undefined || covered.has(i)) return;
    let core: WebAssembly.Module;
    try {
      core = await WebAssembly.compile(compiled.core as Uint8Array<ArrayBuffer>);
    } catch (e) {
      throw coreCompileError(e, paths[i]);
    }
    if (blob.untrusted) checkCoreShape(compiled, core, paths[i]);
    blob.cores[i] = core;
  }));
}

/** Synchronous {@linkcode compileCores}. */
export function compileCoresSync(
  blob: LoadedBlob,
  paths: readonly (readonly string[])[],
): void {
  blob.compiled.modules.forEach((_, i) => coreModuleOf(blob, i, paths[i]));
}

/**
 * The path of nested-module names of every module of a blob, for error
 * messages. Walked with an explicit stack, each module once.
 */
export function modulePaths(compiled: CompiledBlob): string[][] {
  const paths: string[][] = new Array(compiled.modules.length);
  const stack: { index: number; prefix: string[] }[] = [{ index: compiled.root, prefix: [] }];
  while (stack.length > 0) {
    const { index, prefix } = stack.pop()!;
    if (paths[index] !== undefined) continue;
    const { name, children } = compiled.modules[index];
    const path = name === "" ? prefix : [...prefix, name];
    paths[index] = path;
    for (const child of children) stack.push({ index: child, prefix: path });
  }
  for (let i = 0; i < paths.length; i++) {
    paths[i] ??= [compiled.modules[i].name];
  }
  return paths;
}
