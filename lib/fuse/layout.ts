/**
 * The fused index spaces: where each instance's imports, definitions and
 * segments land in the one core module. Host values come first, one core
 * import per core import of each instance that takes one (so that a host
 * function two instances import, and re-export, stays two distinct
 * functions, as with separate instances); then each instance's own
 * definitions, instance by instance in the order they would be created.
 * An import of another instance's item becomes that item.
 *
 * @module
 */

import type { CoreKind } from "../ir.ts";
import type { CoreInfo, KindCounts } from "./core_info.ts";
import type { IndexMaps } from "./maps.ts";
import { NotFusable } from "./not_fusable.ts";
import type { HostSym, PlanNode, Sym } from "./plan.ts";

/** Where an instance's import goes: a fused import, or another instance's definition. */
type Target = { readonly import: number } | { readonly node: PlanNode; readonly defined: number };

/** Where one instance's definitions and segments start in the fused spaces. */
interface Bases {
  readonly defined: KindCounts;
  readonly type: number;
  readonly elem: number;
  readonly data: number;
}

/** A host value the fused core imports, and its kind. */
export interface FusedImport {
  readonly sym: HostSym;
  readonly kind: CoreKind;
}

/** The fused index spaces of a plan. */
export class Layout {
  /** The fused core's imports, in order: the order the fused program pushes them. */
  readonly imports: FusedImport[] = [];
  readonly #importCounts: KindCounts = [0, 0, 0, 0, 0];
  readonly #targets = new Map<PlanNode, Target[][]>();
  readonly #bases = new Map<PlanNode, Bases>();
  #sealed = false;
  /** Totals once sealed: types, elements and data segments of all instances. */
  types = 0;
  elems = 0;
  datas = 0;
  readonly defined: KindCounts = [0, 0, 0, 0, 0];

  /** Resolves the imports of each instance's core module, in instantiation order. */
  constructor(nodes: readonly PlanNode[]) {
    for (const node of nodes) {
      const info = node.info;
      if (info === null) continue;
      const targets: Target[][] = [[], [], [], [], []];
      info.importKinds.forEach((kind, j) => {
        targets[kind].push(this.#target(node.coreValues[j], kind));
      });
      this.#targets.set(node, targets);
    }
  }

  /** A fused import of host value `sym`, added after those there are; its index among its kind. */
  addImport(sym: HostSym, kind: CoreKind): number {
    if (this.#sealed) throw new Error("fusion layout: import added after sealing");
    this.imports.push({ sym, kind });
    return this.#importCounts[kind]++;
  }

  #target(value: Sym, kind: CoreKind): Target {
    if (value.t === "host") {
      if (value.kind !== kind) throw new NotFusable("a host value of another kind");
      return { import: this.addImport(value, kind) };
    }
    if (value.t !== "item" || value.kind !== kind) {
      throw new NotFusable(
        `a core import is given ${value.t === "item" ? "an item of another kind" : value.t}`,
      );
    }
    return this.#itemTarget(value.node, kind, value.index);
  }

  #itemTarget(node: PlanNode, kind: CoreKind, index: number): Target {
    const info = node.info!;
    if (index < info.imported[kind]) return this.#targets.get(node)![kind][index];
    return { node, defined: index - info.imported[kind] };
  }

  /** Fixes where every instance's definitions go: no imports can be added after. */
  seal(nodes: readonly PlanNode[]): void {
    this.#sealed = true;
    for (const node of nodes) {
      const info = node.info;
      if (info === null) continue;
      this.#bases.set(node, {
        defined: [...this.defined] as KindCounts,
        type: this.types,
        elem: this.elems,
        data: this.datas,
      });
      for (let k = 0; k < 5; k++) this.defined[k] += info.defined[k];
      this.types += info.types;
      this.elems += info.elems;
      this.datas += info.datas;
    }
  }

  /** How many items of `kind` the fused core imports. */
  importCount(kind: CoreKind): number {
    return this.#importCounts[kind];
  }

  /** The fused index of item `index` of the space of `kind` of `node`'s core module. */
  indexOf(node: PlanNode, kind: CoreKind, index: number): number {
    return this.#resolve(this.#itemTarget(node, kind, index), kind);
  }

  #resolve(target: Target, kind: CoreKind): number {
    if ("import" in target) return target.import;
    const bases = this.#bases.get(target.node);
    if (bases === undefined) throw new Error("fusion layout: not sealed");
    return this.#importCounts[kind] + bases.defined[kind] + target.defined;
  }

  /** The index maps that move `node`'s core module into the fused spaces. */
  mapsOf(node: PlanNode): IndexMaps {
    const info: CoreInfo = node.info!;
    const bases = this.#bases.get(node)!;
    const targets = this.#targets.get(node)!;
    const space = (kind: CoreKind) => {
      const imported = info.imported[kind];
      const total = imported + info.defined[kind];
      const base = this.#importCounts[kind] + bases.defined[kind];
      return (i: number) =>
        i < imported
          ? this.#resolve(targets[kind][i], kind)
          : i < total
          ? base + i - imported
          : undefined;
    };
    const offset = (base: number, count: number) => (i: number) => i < count ? base + i : undefined;
    return {
      type: offset(bases.type, info.types),
      func: space(0),
      table: space(1),
      memory: space(2),
      global: space(3),
      tag: space(4),
      elem: offset(bases.elem, info.elems),
      data: offset(bases.data, info.datas),
    };
  }
}
