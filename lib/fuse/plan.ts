/**
 * Planning a fusion: runs a module's instantiation program at compile time
 * over symbols instead of values, to find its whole instance graph. Every
 * value becomes a symbol: a host value (an import, or an export of an
 * imported instance, by its path of names), an item of some instance's core
 * module, a module value whose code is known, a planned instance, or an
 * instance made of items. The graph is fusable when every instantiation
 * instantiates a module whose code is known; anything that needs a value
 * only the host can give (an imported module, instantiated) makes it not.
 *
 * @module
 */

import type { CompiledBlob, CompiledModule, InstantiateArg } from "../compiled.ts";
import { type CoreKind, type EntityKind, isCoreKind, Kind, unreachable } from "../ir.ts";
import { MAX_INSTANTIATION_DEPTH } from "../limits.ts";
import type { NamedType } from "../types.ts";
import { type CoreInfo, readCoreInfo } from "./core_info.ts";
import { NotFusable } from "./not_fusable.ts";
import { OuterModules } from "./outer.ts";

export type { BundleSym, HostSym, ItemSym, ModuleSym, NodeSym, PlanNode, Sym } from "./syms.ts";
import type { HostSym, ModuleSym, PlanNode, Sym } from "./syms.ts";

/** A module's instance graph: its instances in the order their core instances would be made. */
export interface Plan {
  /** Every instance, the root last. */
  readonly nodes: readonly PlanNode[];
  /** The root instance. */
  readonly root: PlanNode;
  /** Module values the root's own program puts in its module index space, by position. */
  readonly rootModules: ReadonlyMap<Sym, number>;
}

/** What a plan may grow to before fusing stops paying or V8 would refuse it. */
export interface PlanLimits {
  /** Most instances. */
  readonly instances: number;
  /** Most bytes of core code, copies of a module counted each time. */
  readonly coreBytes: number;
  /** Most copies of one module's core code. */
  readonly copies: number;
  /**
   * Instances that plans may still visit, shared by the plans of one blob
   * (each visited instance takes one, fused or not), so that trying every
   * nested module stays linear in the blob; unbounded when absent.
   */
  readonly budget?: { left: number };
}

/**
 * Plans the fusion of module `index` of `blob`: runs its program, and the
 * programs of all it instantiates, over symbols.
 *
 * @throws {NotFusable} when the graph needs a run-time value or passes `limits`.
 */
export function planFusion(blob: CompiledBlob, index: number, limits: PlanLimits): Plan {
  return new Planner(blob, limits).plan(index);
}

/**
 * Plans the fused steps of module `index` of `blob` (see `FusedStep`):
 * the runs of its own program that fuse when the whole does not.
 */
export function planSteps(blob: CompiledBlob, index: number, limits: PlanLimits): StepRun[] {
  return new Planner(blob, limits).planSteps(index);
}

class Planner {
  readonly #blob: CompiledBlob;
  readonly #limits: PlanLimits;
  #nodes: PlanNode[] = [];
  readonly #infos = new Map<number, CoreInfo>();
  #copies = new Map<number, number>();
  #labels = new Map<string, number>();
  #coreBytes = 0;

  constructor(blob: CompiledBlob, limits: PlanLimits) {
    this.#blob = blob;
    this.#limits = limits;
  }

  plan(index: number): Plan {
    const compiled = this.#blob.modules[index];
    const imports = this.#importsOf(compiled);
    // A nested module's upvars are module values of its parent's program: known when they
    // were defined there (or further out), known only at run time when they were imported.
    const outer = new OuterModules(this.#blob);
    const upvars = compiled.upvars.map((_, k) => outer.upvar(index, k));
    const rootModules = new Map<Sym, number>();
    // Labels are paths below the module fused, which errors put after its own path.
    const root = this.#run(index, upvars, (name) => imports.get(name), "", 0, rootModules);
    return { nodes: this.#nodes, root, rootModules };
  }

  /** The module's imports as host values, by name. */
  #importsOf(compiled: CompiledModule): Map<string, HostSym> {
    const imports = new Map<string, HostSym>();
    for (const declared of this.#blob.types.modules[compiled.type].imports) {
      imports.set(declared.name, {
        t: "host",
        kind: declared.type.kind,
        type: declared.type,
        path: [declared.name],
      });
    }
    return imports;
  }

  /**
   * The runs of module `index`'s own program that fuse as steps (see
   * `FusedStep`): each a run of `instantiate` steps of modules whose code
   * is known, ended by any other `instantiate`, with their instances
   * planned. A run of one instantiation is dropped: the module it
   * instantiates fuses on its own, which serves every instantiation of it.
   */
  planSteps(index: number): StepRun[] {
    const compiled = this.#blob.modules[index];
    const imports = this.#importsOf(compiled);
    const outer = new OuterModules(this.#blob);
    const upvars = compiled.upvars.map((_, k) => outer.upvar(index, k));
    const program: ProgramState = {
      spaces: [[], [], [], [], [], [], []],
      origins: [[], [], [], [], [], [], []],
      moduleSpace: new Map(),
    };
    const runs: StepRun[] = [];
    let run: StepRun | undefined;
    // One instantiation alone gains nothing as a step: its module fuses on its own instead.
    const close = () => {
      if (run !== undefined && run.members.length >= 2) runs.push(run);
      run = undefined;
    };
    const push = (kind: EntityKind, value: Sym, origin: Origin) => {
      if (kind === Kind.Module) program.moduleSpace.set(value, program.spaces[Kind.Module].length);
      program.spaces[kind].push(value);
      program.origins[kind].push(origin);
    };
    const { spaces } = program;
    for (let i = 0; i < compiled.initializers.length; i++) {
      const init = compiled.initializers[i];
      switch (init.op) {
        case "import":
          push(init.kind, imports.get(init.name)!, SELF);
          break;
        case "alias": {
          const from = spaces[Kind.Instance][init.instance];
          let value: Sym;
          try {
            value = this.#exportOf(from, init.name);
          } catch (e) {
            // An export of an instance whose type fusion cannot tell: no run past here.
            if (!(e instanceof NotFusable)) throw e;
            close();
            return runs;
          }
          push(init.kind, value, { instance: init.instance, name: init.name });
          break;
        }
        case "upvar":
          push(Kind.Module, upvars[init.index], SELF);
          break;
        case "module": {
          const child = this.#blob.modules[init.compiled];
          const captured = child.upvars.map((u) =>
            u.from === "space" ? spaces[Kind.Module][u.index] : upvars[u.index]
          );
          push(Kind.Module, { t: "module", compiled: init.compiled, upvars: captured }, SELF);
          break;
        }
        case "instance": {
          const exports = new Map<string, Sym>();
          for (const e of init.exports) exports.set(e.name, spaces[e.kind][e.index]);
          push(Kind.Instance, { t: "bundle", exports, type: init.type }, SELF);
          break;
        }
        case "instantiate": {
          const target = spaces[Kind.Module][init.module];
          const position = spaces[Kind.Instance].length;
          let node: PlanNode | undefined;
          if (target.t === "module") {
            // A member that cannot join the run ends it, and may start the next.
            for (let attempt = 0; attempt < 2 && node === undefined; attempt++) {
              const fresh = run === undefined;
              if (fresh) {
                this.#startRun();
                run = { members: [], memberNodes: [], nodes: this.#nodes, start: position };
              }
              node = this.#member(run!, target, init.args, program);
              if (node === undefined) close();
              if (fresh) break;
            }
          } else {
            close();
          }
          if (node !== undefined) {
            run!.members.push(i);
            run!.memberNodes.push(node);
            push(Kind.Instance, { t: "node", node }, SELF);
          } else {
            push(Kind.Instance, this.#runTimeInstance(position, target), SELF);
          }
          break;
        }
        default:
          unreachable(init, "initializer");
      }
    }
    close();
    return runs;
  }

  /** Starts planning a new run: its own instances, labels and copies. */
  #startRun(): void {
    this.#nodes = [];
    this.#copies = new Map();
    this.#labels = new Map();
    this.#coreBytes = 0;
  }

  /**
   * Plans one more member of `run`: `target` instantiated with `args` of
   * the module's spaces. `undefined` (and the run as it was) when it cannot
   * join: its graph is not closed, or it takes a value the run could not
   * read when it starts.
   */
  #member(
    run: StepRun,
    target: ModuleSym,
    args: readonly InstantiateArg[],
    program: ProgramState,
  ): PlanNode | undefined {
    const before = {
      nodes: this.#nodes.length,
      copies: new Map(this.#copies),
      labels: new Map(this.#labels),
      coreBytes: this.#coreBytes,
    };
    const inRun = new Set(run.nodes);
    try {
      const named = new Map<string, Sym>();
      for (const a of args) named.set(a.name, this.#stepArg(a.kind, a.index, run, inRun, program));
      const name = this.#blob.modules[target.compiled].name || `module ${target.compiled}`;
      const node = this.#run(target.compiled, target.upvars, (n) => named.get(n), name, 1);
      // Everything the new instances hold must be the run's or the host's.
      for (let k = before.nodes; k < this.#nodes.length; k++) inRun.add(this.#nodes[k]);
      for (let k = before.nodes; k < this.#nodes.length; k++) {
        for (const value of this.#nodes[k].coreValues) {
          if (!ownedBy(value, inRun)) throw new NotFusable("it takes an item of another run");
        }
      }
      return node;
    } catch (e) {
      if (!(e instanceof NotFusable)) throw e;
      this.#nodes.length = before.nodes;
      this.#copies = before.copies;
      this.#labels = before.labels;
      this.#coreBytes = before.coreBytes;
      return undefined;
    }
  }

  /**
   * Argument `index` of `kind` of the module's spaces, for a member of
   * `run`: as it is when the run made it, a module value or a host value;
   * else read again, when the run starts, from the module's instance space.
   */
  #stepArg(
    kind: EntityKind,
    index: number,
    run: StepRun,
    inRun: ReadonlySet<PlanNode>,
    program: ProgramState,
  ): Sym {
    const value = program.spaces[kind][index];
    if (kind === Kind.Module) return value;
    // An instance of exports is an object of its own, which a member may
    // pass on: it is read from the instance space, never built again.
    if (value.t !== "bundle" && ownedBy(value, inRun)) return value;
    if (kind === Kind.Instance) {
      if (index >= run.start) {
        throw new NotFusable("it takes an instance made after its run starts");
      }
      return {
        t: "host",
        kind,
        type: { kind, type: -1 },
        path: [],
        base: index,
        exports: this.#exportsOf(value),
      };
    }
    const origin = program.origins[kind][index];
    if (origin === SELF || origin.instance >= run.start) {
      throw new NotFusable("it takes a value it could not read when its run starts");
    }
    const from = program.spaces[Kind.Instance][origin.instance];
    const member = this.#exportsOf(from).find((e) => e.name === origin.name);
    if (member === undefined) throw new NotFusable(`instance has no export "${origin.name}"`);
    return { t: "host", kind, type: member.type, path: [origin.name], base: origin.instance };
  }

  /** The exports of instance value `value`, with their types. */
  #exportsOf(value: Sym): readonly NamedType[] {
    const types = this.#blob.types;
    switch (value.t) {
      case "node":
        return types.modules[this.#blob.modules[value.node.compiled].type].exports;
      case "bundle":
        return types.instances[value.type].exports;
      case "host":
        if (value.exports !== undefined) return value.exports;
        if (value.type.kind !== Kind.Instance || value.type.type < 0) {
          throw new NotFusable("an instance whose type is unknown");
        }
        return types.instances[value.type.type].exports;
      default:
        throw new NotFusable(`${value.t} is not an instance`);
    }
  }

  /** The instance at `position` of the instance space, made at run time from `target`. */
  #runTimeInstance(position: number, target: Sym): HostSym {
    const types = this.#blob.types;
    const exports = target.t === "module"
      ? types.modules[this.#blob.modules[target.compiled].type].exports
      : target.t === "host" && target.type.kind === Kind.Module && target.type.type >= 0
      ? types.modules[target.type.type].exports
      : undefined;
    return {
      t: "host",
      kind: Kind.Instance,
      type: { kind: Kind.Instance, type: -1 },
      path: [],
      base: position,
      exports,
    };
  }

  /** Plans one instance of module `index`: its program, then its core instance. */
  #run(
    index: number,
    upvars: readonly Sym[],
    args: (name: string) => Sym | undefined,
    label: string,
    depth: number,
    rootModules?: Map<Sym, number>,
  ): PlanNode {
    if (depth > MAX_INSTANTIATION_DEPTH) {
      throw new NotFusable(`instantiation nested more than ${MAX_INSTANTIATION_DEPTH} deep`);
    }
    if (this.#nodes.length >= this.#limits.instances) {
      throw new NotFusable(`more than ${this.#limits.instances} instances`);
    }
    const budget = this.#limits.budget;
    if (budget !== undefined && --budget.left < 0) {
      throw new NotFusable("the compile's budget for planning fusions is spent");
    }
    const compiled = this.#blob.modules[index];
    const spaces: Sym[][] = [[], [], [], [], [], [], []];
    const coreValues: Sym[] = [];
    const push = (kind: EntityKind, value: Sym) => {
      if (kind === Kind.Module) rootModules?.set(value, spaces[Kind.Module].length);
      spaces[kind].push(value);
      if (isCoreKind(kind)) coreValues.push(value);
    };
    for (const init of compiled.initializers) {
      switch (init.op) {
        case "import": {
          const value = args(init.name);
          if (value === undefined) throw new NotFusable(`argument "${init.name}" is missing`);
          push(init.kind, value);
          break;
        }
        case "alias":
          push(init.kind, this.#exportOf(spaces[Kind.Instance][init.instance], init.name));
          break;
        case "upvar":
          push(Kind.Module, upvars[init.index]);
          break;
        case "module": {
          const child = this.#blob.modules[init.compiled];
          const captured = child.upvars.map((u) =>
            u.from === "space" ? spaces[Kind.Module][u.index] : upvars[u.index]
          );
          push(Kind.Module, { t: "module", compiled: init.compiled, upvars: captured });
          break;
        }
        case "instantiate": {
          const target = spaces[Kind.Module][init.module];
          if (target.t !== "module") {
            throw new NotFusable(
              `${
                label || "the module"
              } instantiates a module known only at run time (module ${init.module})`,
            );
          }
          const named = new Map<string, Sym>();
          for (const a of init.args) named.set(a.name, spaces[a.kind][a.index]);
          const childName = this.#blob.modules[target.compiled].name || `module ${target.compiled}`;
          const childLabel = label === "" ? childName : `${label} > ${childName}`;
          const node = this.#run(
            target.compiled,
            target.upvars,
            (name) => named.get(name),
            childLabel,
            depth + 1,
          );
          push(Kind.Instance, { t: "node", node });
          break;
        }
        case "instance": {
          const exports = new Map<string, Sym>();
          for (const e of init.exports) exports.set(e.name, spaces[e.kind][e.index]);
          push(Kind.Instance, { t: "bundle", exports, type: init.type });
          break;
        }
        default:
          unreachable(init, "initializer");
      }
    }
    const node: PlanNode = {
      compiled: index,
      label: this.#uniqueLabel(label),
      coreValues,
      spaces,
      info: this.#coreInfo(index, compiled),
      core: compiled.core,
    };
    this.#nodes.push(node);
    return node;
  }

  /** A label no other instance has: a module instantiated twice gets `#2` on its second. */
  #uniqueLabel(label: string): string {
    const seen = (this.#labels.get(label) ?? 0) + 1;
    this.#labels.set(label, seen);
    return seen === 1 ? label : `${label} #${seen}`;
  }

  /** The core module of module `index`, read once, counted against the limits each time. */
  #coreInfo(index: number, compiled: CompiledModule): CoreInfo | null {
    if (compiled.core === null) return null;
    const copies = (this.#copies.get(index) ?? 0) + 1;
    this.#copies.set(index, copies);
    if (copies > this.#limits.copies) {
      throw new NotFusable(
        `${
          compiled.name || "a module"
        } is instantiated more than ${this.#limits.copies} times: copying its code does not pay`,
      );
    }
    this.#coreBytes += compiled.core.length;
    if (this.#coreBytes > this.#limits.coreBytes) {
      throw new NotFusable(`the fused code would pass ${this.#limits.coreBytes} bytes`);
    }
    let info = this.#infos.get(index);
    if (info === undefined) {
      info = readCoreInfo(compiled.core);
      this.#infos.set(index, info);
    }
    return info;
  }

  /** Export `name` of instance `instance`. */
  #exportOf(instance: Sym, name: string): Sym {
    switch (instance.t) {
      case "node":
        return exportOfNode(this.#blob, instance.node, name);
      case "bundle": {
        const value = instance.exports.get(name);
        if (value === undefined) throw new NotFusable(`instance has no export "${name}"`);
        return value;
      }
      case "host": {
        const member = this.#exportsOf(instance).find((e) => e.name === name);
        if (member === undefined) throw new NotFusable(`instance has no export "${name}"`);
        const value: HostSym = {
          t: "host",
          kind: member.type.kind,
          type: member.type,
          path: [...instance.path, name],
        };
        return instance.base === undefined ? value : { ...value, base: instance.base };
      }
      default:
        throw new NotFusable(`an alias of ${instance.t} is not an instance`);
    }
  }
}

/** A run of a module's own `instantiate` steps that fuses, as planned. */
export interface StepRun {
  /** The positions of its `instantiate` steps in the module's initializers. */
  readonly members: number[];
  /** Each member's instance. */
  readonly memberNodes: PlanNode[];
  /** Every instance it makes, nested ones included, in the order they are made. */
  readonly nodes: PlanNode[];
  /** How many instances the module's instance space held when the run started. */
  readonly start: number;
}

/** Where a value of a module's spaces came from: an alias of an instance's export, or the program itself. */
type Origin = { readonly instance: number; readonly name: string } | typeof SELF;
const SELF = "self";

/** A module's program as step planning runs it: its spaces, where each value came from, its module values. */
interface ProgramState {
  readonly spaces: Sym[][];
  readonly origins: Origin[][];
  /** The position of each module value in the module space. */
  readonly moduleSpace: Map<Sym, number>;
}

/** Whether `value` is made of the instances of `nodes` and host values only. */
function ownedBy(value: Sym, nodes: ReadonlySet<PlanNode>): boolean {
  switch (value.t) {
    case "host":
    case "module":
      return true;
    case "item":
    case "node":
      return nodes.has(value.node);
    case "bundle":
      for (const member of value.exports.values()) if (!ownedBy(member, nodes)) return false;
      return true;
  }
}

/** Export `name` of planned instance `node`: an item of its core module, or a value of its index spaces. */
export function exportOfNode(blob: CompiledBlob, node: PlanNode, name: string): Sym {
  const e = blob.modules[node.compiled].exports.find((x) => x.name === name);
  if (e === undefined) throw new NotFusable(`instance has no export "${name}"`);
  if (!e.local) return node.spaces[e.kind][e.index];
  const info = node.info;
  const core = info?.exports.get(name);
  if (info == null || core === undefined) {
    throw new NotFusable(`core module has no export "${name}"`);
  }
  if (core.kind === Kind.Global && core.index < info.imported[Kind.Global]) {
    // A core instance exports an imported global as the object it was given.
    return node.coreValues[importPosition(info, Kind.Global, core.index)];
  }
  return { t: "item", node, kind: core.kind, index: core.index, via: name };
}

/** Where the `ordinal`-th import of `kind` is among all of a core module's imports. */
function importPosition(info: CoreInfo, kind: CoreKind, ordinal: number): number {
  let seen = 0;
  for (let i = 0; i < info.importKinds.length; i++) {
    if (info.importKinds[i] === kind && seen++ === ordinal) return i;
  }
  throw new NotFusable(`core module has no ${kind} import ${ordinal}`);
}
