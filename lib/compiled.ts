/**
 * The compiled description of a module-linking blob: pure data, produced by
 * `lib/compile`, stored in artifacts by `lib/artifact`, run by `lib/runtime`.
 * Nothing here refers to the source binary any more.
 *
 * @module
 */

import type { EntityKind } from "./ir.ts";
import type { EntityType, TypeTables } from "./types.ts";

/**
 * One step of a module's instantiation program. Each step that yields a
 * value pushes it onto the index space of its kind; func, table, memory and
 * global values are also the core module's imports, in push order.
 */
export type Initializer =
  /** Take argument `name` (a single-level import, or the implicit instance of two-level imports). */
  | { readonly op: "import"; readonly name: string; readonly kind: EntityKind }
  /** Take export `name` of instance `instance`. */
  | {
    readonly op: "alias";
    readonly instance: number;
    readonly name: string;
    readonly kind: EntityKind;
  }
  /** Push this module's captured module `index` (an outer alias of a module). */
  | { readonly op: "upvar"; readonly index: number }
  /** Create the module value of `blob.modules[compiled]`, capturing its upvars. */
  | { readonly op: "module"; readonly compiled: number }
  /** Instantiate module `module` of the module index space with named arguments. */
  | {
    readonly op: "instantiate";
    readonly module: number;
    readonly args: readonly InstantiateArg[];
  }
  /**
   * Make an instance whose exports are items of this module:
   * `(instance (export …) …)`; `type` is its instance type, in `types.instances`.
   */
  | {
    readonly op: "instance";
    readonly exports: readonly InstantiateArg[];
    readonly type: number;
  };

/** A named argument of `instantiate`: an item of the instantiating module. */
export interface InstantiateArg {
  readonly name: string;
  readonly kind: EntityKind;
  readonly index: number;
}

/**
 * Where a nested module finds a module it closes over when its enclosing
 * module's instance creates it: in that instance's module index space, or
 * among the enclosing module's own upvars (for aliases that reach further out).
 */
export interface ModuleUpvar {
  readonly from: "space" | "upvar";
  readonly index: number;
}

/**
 * An export of a compiled module. `local` exports are read from the core
 * instance by name; the others from the index space of their kind.
 */
export interface CompiledExport {
  readonly name: string;
  readonly kind: EntityKind;
  readonly index: number;
  readonly local: boolean;
}

/** An import as written in the binary, for `Module.imports()`. */
export interface CompiledImport {
  readonly module: string;
  readonly field: string | null;
  readonly type: EntityType;
}

/** One module of a blob (the top-level one or a nested one), ready to instantiate. */
export interface CompiledModule {
  /** How errors name it, e.g. `module $child` or `module 2`; "" for an unnamed top-level module. */
  readonly name: string;
  /** The core wasm module holding its own definitions, or `null` when it has none to instantiate. */
  readonly core: Uint8Array | null;
  /** The instantiation program. */
  readonly initializers: readonly Initializer[];
  /** Exports, in binary order. */
  readonly exports: readonly CompiledExport[];
  /** Imports, as written. */
  readonly imports: readonly CompiledImport[];
  /** Its module type, an index into the blob's `types.modules`. */
  readonly type: number;
  /** The type of its instances (its module type's exports), an index into `types.instances`. */
  readonly instanceType: number;
  /** What it captures from its enclosing module's instance when created. */
  readonly upvars: readonly ModuleUpvar[];
  /** Indices (in the blob) of the modules nested directly inside it. */
  readonly children: readonly number[];
  /**
   * What fused compilation made of it: its whole instance graph as one core
   * module, or why that was not done; `null` when fusion was not tried.
   */
  readonly fusion: Fusion | null;
}

/**
 * The outcome of fusing a module: the fused form, or why there is none,
 * with the fused steps of its own program when some runs of it fuse.
 */
export type Fusion = FusedModule | NotFused;

/** Why a module has no fused form; `steps`, the runs of its program that fuse all the same. */
export interface NotFused {
  readonly reason: string;
  readonly steps?: readonly FusedStep[];
}

/**
 * A run of a module's own `instantiate` steps, of modules known at compile
 * time, with only steps that make nothing observable between them (import,
 * alias, module, upvar, instance): fused into one core module, made when
 * the run's first step comes, whose start runs every instance's in order.
 * Each of the run's `instantiate` steps then takes its instance, built
 * from the core's exports. When it cannot run (a host function needs its
 * caller, V8 refuses a host value), the steps run as they are: nothing of
 * the run has happened yet.
 */
export interface FusedStep {
  /** The positions in the module's initializers of the `instantiate` steps it stands for, in order. */
  readonly members: readonly number[];
  /**
   * The values the fused form reads, by kind in push order (its index
   * spaces): the core's imports are the core kinds among them, in order.
   */
  readonly values: readonly StepValue[];
  /** The fused form: `initializers` and `exports` empty, its instances built from the core's exports. */
  readonly fused: FusedModule;
  /** For each member, which built instance is its instance. */
  readonly memberBuilt: readonly number[];
}

/**
 * A value a fused step reads when it runs: import `name` of the module
 * (`index` unused), or item `index` of the module's index space of kind
 * `names.length > 0 ? instance : kind` (`name` unused); then its exports
 * `names`, one after the other. Either is there when the run's first
 * step comes.
 */
export interface StepValue {
  readonly kind: EntityKind;
  readonly from: "import" | "space";
  readonly name: string;
  readonly index: number;
  readonly names: readonly string[];
}

/**
 * A module whose instances, nested ones included, are all known at compile
 * time, compiled into one core module. Instantiating it runs `initializers`
 * (which only take host values and make module values), instantiates
 * `core` once, and builds the instances the module exports from the core
 * instance's exports. It behaves as the module's own program would.
 */
export interface FusedModule {
  /** The fused core module: every instance's code, memories, tables, globals, tags and segments. */
  readonly core: Uint8Array;
  /**
   * A program of `import`, `alias`, `module` and `upvar` steps only: the
   * host values the fused core imports, in push order, and the module
   * index space, laid out as the module's own program lays it out.
   */
  readonly initializers: readonly Initializer[];
  /** The module's exports, in the order of its type, and where each comes from. */
  readonly exports: readonly BuiltExport[];
  /** Instances made from the core instance's exports, each after those it holds. */
  readonly built: readonly BuiltInstance[];
  /** The fused instances, in the order they would be created: their paths, for `inspect`. */
  readonly instances: readonly string[];
  /** The module (in the blob) of each fused instance, in the same order. */
  readonly modules: readonly number[];
  /**
   * Where each fused instance's code starts in the fused core, as a byte
   * offset, in the same order: what names the instance a trap's stack
   * points into (V8 writes each wasm frame's offset in the module).
   */
  readonly code: readonly number[];
}

/** An instance of a fused graph that is exported, built once the core instance exists. */
export interface BuiltInstance {
  /** Its instance type, in `types.instances`. */
  readonly type: number;
  /** Its exports, in the order of its type. */
  readonly exports: readonly BuiltExport[];
}

/**
 * An export of a fused module or of a {@linkcode BuiltInstance}, and where
 * its value comes from. Two exports of one value read the same core export:
 * V8 makes a new `WebAssembly.Global` for each export of a global.
 */
export interface BuiltExport {
  readonly name: string;
  readonly kind: EntityKind;
  /**
   * `core`: the fused core instance's export named `core`; `space`: item
   * `index` of the index space of `kind`; `built`: instance `built[index]`.
   */
  readonly from: "core" | "space" | "built";
  readonly index: number;
  /** The core export's name when `from` is `core`, else `""`. */
  readonly core: string;
}

/** Every module of one compiled binary, with their shared types. */
export interface CompiledBlob {
  readonly types: TypeTables;
  /** Modules, each one's nested modules listed after it. */
  readonly modules: readonly CompiledModule[];
  /** Index of the top-level module. */
  readonly root: number;
}
