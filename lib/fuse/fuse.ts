/**
 * Fused compilation: a module whose whole instance graph is known at
 * compile time becomes one core module (see `FusedModule`). `plan.ts`
 * finds the graph, `layout.ts` lays out the fused index spaces, `emit.ts`
 * writes the core module; this file writes the rest of the fused form —
 * the program that takes the host values the core imports and keeps the
 * module index space, the exports, and the instances built from the core
 * instance's exports — and decides whether to fuse at all.
 *
 * @module
 */

import type {
  BuiltExport,
  BuiltInstance,
  CompiledBlob,
  FusedModule,
  FusedStep,
  Fusion,
  Initializer,
  StepValue,
} from "../compiled.ts";
import { CompileError } from "../errors.ts";
import { MAX_FUSED_PATH_UNITS } from "../limits.ts";
import { type CoreKind, type EntityKind, Kind } from "../ir.ts";
import { type CoreExport, emitFusedCore } from "./emit.ts";
import { Layout } from "./layout.ts";
import { NotFusable } from "./not_fusable.ts";
import {
  type BundleSym,
  exportOfNode,
  type HostSym,
  type ItemSym,
  type NodeSym,
  type Plan,
  planFusion,
  type PlanLimits,
  type PlanNode,
  planSteps,
  type StepRun,
  type Sym,
} from "./plan.ts";

/**
 * What fusion takes on by default. A module's code is copied once per
 * instance, so a module instantiated more than once is not fused: see
 * `bench/README.md` for what copying costs.
 */
export const FUSION_LIMITS: PlanLimits = {
  instances: 2_000,
  coreBytes: 8 << 20,
  copies: 1,
};

/**
 * Fuses module `index` of `blob`: its fused form, or the reason it has
 * none. Pure: V8 has not seen the fused core yet, and the caller should
 * compile it, and keep the module unfused if V8 refuses it.
 *
 * @param blob A compiled blob whose core modules V8 accepted.
 * @param index The module to fuse (the root, usually).
 * @param limits How large a graph may grow.
 * @returns The fused form, or `{ reason }`.
 *
 * @example
 * ```ts ignore
 * import { compileBinary } from "../compile/mod.ts";
 * import { fuseModule } from "./fuse.ts";
 * const blob = compileBinary(bytes);
 * const fusion = fuseModule(blob, blob.root);
 * ```
 */
export function fuseModule(
  blob: CompiledBlob,
  index: number,
  limits: PlanLimits = FUSION_LIMITS,
): Fusion {
  try {
    return fuse(blob, index, limits);
  } catch (e) {
    if (e instanceof NotFusable) return { reason: e.reason };
    if (e instanceof CompileError) {
      return { reason: `its code could not be rewritten: ${e.message}` };
    }
    throw e;
  }
}

/**
 * The fusions of every module of `blob` worth trying: the root's, and then
 * each nested module's that no fusion tried so far covers and that
 * instantiates something (`null` for the others, not tried). So when the
 * root's graph is not closed (it instantiates a module the host gives, or
 * one module several times), the closed parts of it still fuse, each a
 * nested module whose graph is: the root runs as separate instances, one
 * of them this module's fused core. A module value the host instantiates
 * later runs fused the same way. Planning visits each instance of the
 * blob's graphs about once: the plans share a budget of twice the
 * instance limit.
 *
 * @example
 * ```ts ignore
 * import { compileBinary } from "../compile/mod.ts";
 * import { fuseBlob } from "./fuse.ts";
 * const blob = compileBinary(bytes);
 * const fusions = fuseBlob(blob); // fusions[blob.root], and nested modules' fusions
 * ```
 */
export function fuseBlob(
  blob: CompiledBlob,
  limits: PlanLimits = FUSION_LIMITS,
): (Fusion | null)[] {
  const fusions: (Fusion | null)[] = blob.modules.map(() => null);
  const shared: PlanLimits = { ...limits, budget: limits.budget ?? { left: 2 * limits.instances } };
  const covered = new Set<number>();
  // Parents before children, so that a module a parent's fusion covers is not fused again.
  const stack = [blob.root];
  const seen = new Set<number>();
  while (stack.length > 0) {
    const index = stack.pop()!;
    if (seen.has(index)) continue;
    seen.add(index);
    const compiled = blob.modules[index];
    const worthTrying = index === blob.root ||
      (!covered.has(index) && compiled.initializers.some((init) => init.op === "instantiate"));
    if (worthTrying) {
      let fusion = fuseModule(blob, index, shared);
      if ("reason" in fusion) {
        // Not closed as a whole: the runs of its own program that are may still fuse.
        const steps = fuseSteps(blob, index, shared);
        if (steps.length > 0) fusion = { reason: fusion.reason, steps };
      }
      fusions[index] = fusion;
      for (const m of fusedModulesOf(fusion)) covered.add(m);
    }
    for (let c = compiled.children.length - 1; c >= 0; c--) stack.push(compiled.children[c]);
  }
  return fusions;
}

/** The modules whose code `fusion` holds: its fused form's, or its steps'. */
export function fusedModulesOf(fusion: Fusion): readonly number[] {
  if (!("reason" in fusion)) return fusion.modules;
  return (fusion.steps ?? []).flatMap((step) => step.fused.modules);
}

function fuse(blob: CompiledBlob, index: number, limits: PlanLimits): FusedModule {
  const compiled = blob.modules[index];
  if (!compiled.initializers.some((init) => init.op === "instantiate")) {
    throw new NotFusable("it instantiates no module: there is nothing to fuse");
  }
  const plan = planFusion(blob, index, limits);
  const layout = new Layout(plan.nodes);
  const program = new FusedProgram(blob, plan, layout);
  program.keepModuleSpace(index);
  for (const fusedImport of [...layout.imports]) program.pushHost(fusedImport.sym);
  const exports = compiled.exports.map((e) =>
    program.export(e.name, exportOfNode(blob, plan.root, e.name))
  );
  layout.seal(plan.nodes);
  const instances = plan.nodes.map((n) => n.label || "the module itself");
  if (instances.reduce((units, path) => units + path.length, 0) > MAX_FUSED_PATH_UNITS) {
    throw new NotFusable(`its instances' paths take more than ${MAX_FUSED_PATH_UNITS} units`);
  }
  const { bytes: core, code } = emitFusedCore(
    plan.nodes,
    layout,
    program.coreExports(),
    blob.types,
  );
  return {
    core,
    initializers: program.initializers,
    exports,
    built: program.built,
    instances,
    modules: plan.nodes.map((n) => n.compiled),
    code,
  };
}

/** Where a fused step reads host value `sym` from: an import of its module, or an instance of its spaces. */
function stepValueOf(sym: HostSym): StepValue {
  return sym.base === undefined
    ? { kind: sym.kind, from: "import", name: sym.path[0], index: 0, names: sym.path.slice(1) }
    : { kind: sym.kind, from: "space", name: "", index: sym.base, names: sym.path };
}

/**
 * The fused steps of module `index` of `blob` (see `FusedStep`): each run
 * of its own program that `planSteps` finds, fused into one core module.
 * A run that cannot be laid out or rewritten is left out.
 */
export function fuseSteps(blob: CompiledBlob, index: number, limits: PlanLimits): FusedStep[] {
  let runs: StepRun[];
  try {
    runs = planSteps(blob, index, limits);
  } catch (e) {
    if (e instanceof NotFusable) return [];
    throw e;
  }
  const steps: FusedStep[] = [];
  for (const run of runs) {
    try {
      steps.push(fuseRun(blob, run));
    } catch (e) {
      if (!(e instanceof NotFusable) && !(e instanceof CompileError)) throw e;
    }
  }
  return steps;
}

function fuseRun(blob: CompiledBlob, run: StepRun): FusedStep {
  const nodes = run.nodes;
  const layout = new Layout(nodes);
  const plan: Plan = { nodes, root: nodes.at(-1)!, rootModules: new Map() };
  const program = new FusedProgram(blob, plan, layout, true);
  for (const fusedImport of [...layout.imports]) program.pushHost(fusedImport.sym);
  const memberBuilt = run.memberNodes.map((node) => program.memberInstance(node));
  layout.seal(nodes);
  const instances = nodes.map((n) => n.label);
  if (instances.reduce((units, path) => units + path.length, 0) > MAX_FUSED_PATH_UNITS) {
    throw new NotFusable(`its instances' paths take more than ${MAX_FUSED_PATH_UNITS} units`);
  }
  const { bytes: core, code } = emitFusedCore(nodes, layout, program.coreExports(), blob.types);
  return {
    members: run.members,
    values: program.values,
    fused: {
      core,
      initializers: [],
      exports: [],
      built: program.built,
      instances,
      modules: nodes.map((n) => n.compiled),
      code,
    },
    memberBuilt,
  };
}

/** A core export the fused form reads: its name, and the item (fused index not known yet). */
interface CoreRef {
  readonly name: string;
  readonly item: ItemSym;
}

/** Builds the fused program, exports and built instances. */
class FusedProgram {
  readonly initializers: Initializer[] = [];
  readonly built: BuiltInstance[] = [];
  readonly #blob: CompiledBlob;
  readonly #plan: Plan;
  readonly #layout: Layout;
  readonly #counts = [0, 0, 0, 0, 0, 0, 0];
  readonly #hostInstances = new Map<string, number>();
  readonly #hostValues = new Map<HostSym, number>();
  readonly #builtOf = new Map<object, number>();
  readonly #coreRefs: CoreRef[] = [];
  readonly #coreNames = new Map<string, string>();
  /** The module's export names: a generated core export name must be none of them. */
  readonly #usedNames: Set<string>;
  /** The fused core's export names so far. */
  readonly #takenNames = new Set<string>();
  readonly #ordinal = new Map<PlanNode, number>();

  /**
   * For a fused step: the values it reads from its module's program, in
   * push order, instead of `initializers`; `moduleSpace` says where each
   * module value is in the module's module space.
   */
  readonly values: StepValue[] = [];
  readonly #step: boolean;

  constructor(blob: CompiledBlob, plan: Plan, layout: Layout, step = false) {
    this.#blob = blob;
    this.#plan = plan;
    this.#layout = layout;
    this.#step = step;
    this.#usedNames = new Set(blob.modules[plan.nodes.at(-1)!.compiled].exports.map((e) => e.name));
    plan.nodes.forEach((n, i) => this.#ordinal.set(n, i));
  }

  /** Pushes a value of `kind` with `init`; its index in that space. */
  #push(init: Initializer, kind: EntityKind): number {
    this.initializers.push(init);
    return this.#counts[kind]++;
  }

  /**
   * Repeats the steps of module `index`'s program that make its module
   * index space, in order, so that nested modules it creates capture the
   * same modules by the same indices.
   */
  keepModuleSpace(index: number): void {
    for (const init of this.#blob.modules[index].initializers) {
      switch (init.op) {
        case "import":
          if (init.kind === Kind.Module) this.#push(init, Kind.Module);
          break;
        case "module":
        case "upvar":
          this.#push(init, Kind.Module);
          break;
        case "alias": {
          if (init.kind !== Kind.Module) break;
          const from = this.#plan.root.spaces[Kind.Instance][init.instance];
          if (from.t !== "host") {
            throw new NotFusable("it aliases a module out of one of its instances");
          }
          const instance = this.#hostInstance(from.path);
          this.#push({ op: "alias", instance, name: init.name, kind: Kind.Module }, Kind.Module);
          break;
        }
        default:
          break;
      }
    }
  }

  /** Pushes host value `sym` (always a new push: each is one core import); its index in its space. */
  pushHost(sym: HostSym): number {
    if (this.#step) {
      const index = this.#pushValue(stepValueOf(sym));
      if (!this.#hostValues.has(sym)) this.#hostValues.set(sym, index);
      return index;
    }
    const path = sym.path;
    const init: Initializer = path.length === 1
      ? { op: "import", name: path[0], kind: sym.kind }
      : {
        op: "alias",
        instance: this.#hostInstance(path.slice(0, -1)),
        name: path.at(-1)!,
        kind: sym.kind,
      };
    const index = this.#push(init, sym.kind);
    if (!this.#hostValues.has(sym)) this.#hostValues.set(sym, index);
    return index;
  }

  /** A value a fused step reads, pushed; its index in its space. */
  #pushValue(value: StepValue): number {
    this.values.push(value);
    return this.#counts[value.kind]++;
  }

  /** The index in the instance space of host instance `sym`, pushed once. */
  #hostInstanceOf(sym: HostSym): number {
    if (!this.#step) return this.#hostInstance(sym.path);
    const value = stepValueOf(sym);
    const key = JSON.stringify(value);
    const known = this.#hostInstances.get(key);
    if (known !== undefined) return known;
    const index = this.#pushValue(value);
    this.#hostInstances.set(key, index);
    return index;
  }

  /** The index in the instance space of the host instance at `path`, pushed once. */
  #hostInstance(path: readonly string[]): number {
    const key = JSON.stringify(path);
    const known = this.#hostInstances.get(key);
    if (known !== undefined) return known;
    const init: Initializer = path.length === 1
      ? { op: "import", name: path[0], kind: Kind.Instance }
      : {
        op: "alias",
        instance: this.#hostInstance(path.slice(0, -1)),
        name: path.at(-1)!,
        kind: Kind.Instance,
      };
    const index = this.#push(init, Kind.Instance);
    this.#hostInstances.set(key, index);
    return index;
  }

  /** The index of host value `sym` in its space: pushed already, or pushed now (a fused import then). */
  #hostValue(sym: HostSym): number {
    if (sym.kind === Kind.Instance) return this.#hostInstanceOf(sym);
    if (sym.kind === Kind.Module) return this.#moduleIndex(sym);
    const known = this.#hostValues.get(sym);
    if (known !== undefined) return known;
    this.#layout.addImport(sym, sym.kind as CoreKind);
    return this.pushHost(sym);
  }

  /** Where module value `sym` is in the kept module space (a step's: read from its module's). */
  #moduleIndex(sym: Sym): number {
    const index = this.#plan.rootModules.get(sym);
    if (index === undefined) {
      throw new NotFusable("it exports a module made inside one of its instances");
    }
    if (!this.#step) return index;
    const value: StepValue = { kind: Kind.Module, from: "space", name: "", index, names: [] };
    const key = `module ${index}`;
    const known = this.#hostInstances.get(key);
    if (known !== undefined) return known;
    const at = this.#pushValue(value);
    this.#hostInstances.set(key, at);
    return at;
  }

  /** The built instance that stands for planned instance `node`, a member of a step. */
  memberInstance(node: PlanNode): number {
    return this.#builtIndex({ t: "node", node });
  }

  /** Top-level export `name` of the fused module, `value` as planned. */
  export(name: string, value: Sym): BuiltExport {
    return this.#member(name, value, name);
  }

  /** The index of the built instance of `sym`, built once, after the instances it holds. */
  #builtIndex(sym: NodeSym | BundleSym): number {
    const key = sym.t === "node" ? sym.node : sym;
    const known = this.#builtOf.get(key);
    if (known !== undefined) return known;
    let type: number;
    let members: [string, Sym][];
    if (sym.t === "node") {
      const compiled = this.#blob.modules[sym.node.compiled];
      type = compiled.instanceType;
      members = compiled.exports.map((e) => [e.name, exportOfNode(this.#blob, sym.node, e.name)]);
    } else {
      type = sym.type;
      members = this.#blob.types.instances[type].exports.map((
        e,
      ) => [e.name, sym.exports.get(e.name)!]);
    }
    const exports = members.map(([name, value]) => this.#member(name, value));
    const index = this.built.push({ type, exports }) - 1;
    this.#builtOf.set(key, index);
    return index;
  }

  /**
   * Export `name` of an instance being built, or of the module itself
   * (`ownName` is then its name, which its core export takes if it can).
   */
  #member(name: string, value: Sym, ownName?: string): BuiltExport {
    switch (value.t) {
      case "item":
        return {
          name,
          kind: value.kind,
          from: "core",
          index: 0,
          core: this.#coreName(value, ownName),
        };
      case "node":
      case "bundle":
        return {
          name,
          kind: Kind.Instance,
          from: "built",
          index: this.#builtIndex(value),
          core: "",
        };
      case "host":
        return { name, kind: value.kind, from: "space", index: this.#hostValue(value), core: "" };
      case "module":
        return {
          name,
          kind: Kind.Module,
          from: "space",
          index: this.#moduleIndex(value),
          core: "",
        };
    }
  }

  /**
   * The fused core's export name for `item`: one per item (for a global,
   * one per export it was read through), `ownName` when that is free, else
   * a name no export of the module has.
   */
  #coreName(item: ItemSym, ownName?: string): string {
    const via = item.kind === Kind.Global ? item.via : "";
    const key = `${this.#ordinal.get(item.node)} ${item.kind} ${item.index} ${via}`;
    let name = this.#coreNames.get(key);
    if (name === undefined) {
      if (ownName !== undefined && !this.#takenNames.has(ownName)) {
        name = ownName;
      } else {
        name = `#${this.#coreNames.size}`;
        while (this.#usedNames.has(name) || this.#takenNames.has(name)) name = `#${name}`;
      }
      this.#takenNames.add(name);
      this.#coreNames.set(key, name);
      this.#coreRefs.push({ name, item });
    }
    return name;
  }

  /** Every export of the fused core, once the layout is sealed. */
  coreExports(): CoreExport[] {
    return this.#coreRefs.map(({ name, item }) => ({
      name,
      kind: item.kind,
      index: this.#layout.indexOf(item.node, item.kind, item.index),
    }));
  }
}
