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

import type { CompiledBlob, CompiledModule } from "../compiled.ts";
import { type CoreKind, type EntityKind, isCoreKind, Kind, unreachable } from "../ir.ts";
import { MAX_INSTANTIATION_DEPTH } from "../limits.ts";
import type { EntityType } from "../types.ts";
import { type CoreInfo, readCoreInfo } from "./core_info.ts";
import { NotFusable } from "./not_fusable.ts";

/** A value of the program, as fusion knows it at compile time. */
export type Sym = HostSym | ItemSym | ModuleSym | NodeSym | BundleSym;

/** A host value: import `path[0]`, or an export of it (`path[1]` …) when it is an instance. */
export interface HostSym {
  readonly t: "host";
  readonly kind: EntityKind;
  readonly type: EntityType;
  readonly path: readonly string[];
}

/**
 * Item `index` of the index space of `kind` of `node`'s core module. For a
 * global, `via` is the core export it was read through: V8 makes one
 * `WebAssembly.Global` per export of a global, so that is its identity.
 */
export interface ItemSym {
  readonly t: "item";
  readonly node: PlanNode;
  readonly kind: CoreKind;
  readonly index: number;
  readonly via: string;
}

/** A module value whose code is module `compiled` of the blob, with what it closed over. */
export interface ModuleSym {
  readonly t: "module";
  readonly compiled: number;
  readonly upvars: readonly Sym[];
}

/** A planned instance. */
export interface NodeSym {
  readonly t: "node";
  readonly node: PlanNode;
}

/** An instance made of items, `(instance (export …) …)`, with its instance type. */
export interface BundleSym {
  readonly t: "bundle";
  readonly exports: ReadonlyMap<string, Sym>;
  readonly type: number;
}

/** One instance of the graph. */
export interface PlanNode {
  /** Its module, in the blob. */
  readonly compiled: number;
  /** How `inspect` and function names name it: its path of module names. */
  readonly label: string;
  /** The values its core module imports, in order. */
  readonly coreValues: readonly Sym[];
  /** Its index spaces, by kind. */
  readonly spaces: readonly (readonly Sym[])[];
  /** Its core module, read; `null` when it has none. */
  readonly info: CoreInfo | null;
  /** Its core module's bytes; `null` when it has none. */
  readonly core: Uint8Array | null;
}

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

class Planner {
  readonly #blob: CompiledBlob;
  readonly #limits: PlanLimits;
  readonly #nodes: PlanNode[] = [];
  readonly #infos = new Map<number, CoreInfo>();
  readonly #copies = new Map<number, number>();
  readonly #labels = new Map<string, number>();
  #coreBytes = 0;

  constructor(blob: CompiledBlob, limits: PlanLimits) {
    this.#blob = blob;
    this.#limits = limits;
  }

  plan(index: number): Plan {
    const compiled = this.#blob.modules[index];
    const imports = new Map<string, Sym>();
    for (const declared of this.#blob.types.modules[compiled.type].imports) {
      imports.set(declared.name, {
        t: "host",
        kind: declared.type.kind,
        type: declared.type,
        path: [declared.name],
      });
    }
    // A nested module's upvars are module values of its parent's program: known when they
    // were defined there (or further out), known only at run time when they were imported.
    const outer = new OuterModules(this.#blob);
    const upvars = compiled.upvars.map((_, k) => outer.upvar(index, k));
    const rootModules = new Map<Sym, number>();
    // Labels are paths below the module fused, which errors put after its own path.
    const root = this.#run(index, upvars, (name) => imports.get(name), "", 0, rootModules);
    return { nodes: this.#nodes, root, rootModules };
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
        const member = this.#blob.types.instances[instance.type.type as number].exports
          .find((e) => e.name === name);
        if (member === undefined) throw new NotFusable(`instance has no export "${name}"`);
        return {
          t: "host",
          kind: member.type.kind,
          type: member.type,
          path: [...instance.path, name],
        };
      }
      default:
        throw new NotFusable(`an alias of ${instance.t} is not an instance`);
    }
  }
}

/**
 * What a nested module's upvars are, found from the programs around it: a
 * module its parent (or an ancestor) defines is a module value whose code
 * is known, with its own upvars found the same way; one that an ancestor
 * imports, or aliases out of an instance, is known only at run time.
 */
class OuterModules {
  readonly #blob: CompiledBlob;
  readonly #parents = new Map<number, number>();
  /** Resolved module-space entries, by `parent:position`. */
  readonly #entries = new Map<string, Sym>();

  constructor(blob: CompiledBlob) {
    this.#blob = blob;
    blob.modules.forEach((m, parent) => {
      for (const child of m.children) this.#parents.set(child, parent);
    });
  }

  /** Upvar `k` of module `index`. */
  upvar(index: number, k: number): Sym {
    const captured = this.#blob.modules[index].upvars[k];
    const parent = this.#parents.get(index);
    if (captured === undefined || parent === undefined) return runTimeModule(k);
    return captured.from === "space"
      ? this.#entry(parent, captured.index, k)
      : this.upvar(parent, captured.index);
  }

  /** Entry `position` of module `parent`'s module index space (`k` names the upvar asked for). */
  #entry(parent: number, position: number, k: number): Sym {
    const key = `${parent}:${position}`;
    const known = this.#entries.get(key);
    if (known !== undefined) return known;
    let seen = 0;
    let found: Sym = runTimeModule(k);
    for (const init of this.#blob.modules[parent].initializers) {
      const pushesModule = init.op === "module" || init.op === "upvar" ||
        ((init.op === "import" || init.op === "alias") && init.kind === Kind.Module);
      if (!pushesModule) continue;
      if (seen++ < position) continue;
      if (init.op === "module") {
        const child = this.#blob.modules[init.compiled];
        const upvars = child.upvars.map((u, j) =>
          u.from === "space" ? this.#entry(parent, u.index, j) : this.upvar(parent, u.index)
        );
        found = { t: "module", compiled: init.compiled, upvars };
      } else if (init.op === "upvar") {
        found = this.upvar(parent, init.index);
      }
      break;
    }
    this.#entries.set(key, found);
    return found;
  }
}

/** Upvar `k` when it is a module value only the run time knows (imported by an ancestor). */
function runTimeModule(k: number): HostSym {
  return {
    t: "host",
    kind: Kind.Module,
    type: { kind: Kind.Module, type: -1 }, // never read: fusion keeps module values as they are
    path: [`upvar ${k}`],
  };
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
