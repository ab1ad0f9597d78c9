/**
 * The index spaces of a module as validation sees them: the type of every
 * item, in binary order.
 *
 * @module
 */

import { type CoreKind, type EntityKind, Kind, unreachable } from "../ir.ts";
import type { EntityType } from "../types.ts";

/** A slot of a module's type index space: which kind of type, and its index in the TypeTables. */
export interface TypeSlot {
  readonly form: "func" | "module" | "instance";
  readonly index: number;
}

/** The index spaces of a module as validation sees them: types of every item. */
export class IndexSpaces {
  /** The type index space. */
  readonly types: TypeSlot[] = [];
  /** Each func's type, an index into the TypeTables' funcs. */
  readonly funcs: number[] = [];
  /** Each table's type. */
  readonly tables: EntityType[] = [];
  /** Each memory's type. */
  readonly memories: EntityType[] = [];
  /** Each global's type. */
  readonly globals: EntityType[] = [];
  /** Each tag's type, an index into the TypeTables' funcs. */
  readonly tags: number[] = [];
  /** Each module's type, an index into the TypeTables' modules. */
  readonly modules: number[] = [];
  /** Each instance's type, an index into the TypeTables' instances. */
  readonly instances: number[] = [];

  /** How many items of `kind` there are so far. */
  count(kind: EntityKind): number {
    switch (kind) {
      case Kind.Func:
        return this.funcs.length;
      case Kind.Table:
        return this.tables.length;
      case Kind.Memory:
        return this.memories.length;
      case Kind.Global:
        return this.globals.length;
      case Kind.Tag:
        return this.tags.length;
      case Kind.Module:
        return this.modules.length;
      case Kind.Instance:
        return this.instances.length;
      default:
        return unreachable(kind, "entity kind");
    }
  }

  /** How many funcs, tables, memories, globals and tags there are so far. */
  coreCounts(): Record<CoreKind, number> {
    // An array indexed by kind: an object literal with computed numeric keys
    // takes V8's slow path, and this runs for every module compiled.
    const counts: [number, number, number, number, number] = [
      this.funcs.length,
      this.tables.length,
      this.memories.length,
      this.globals.length,
      this.tags.length,
    ];
    return counts;
  }

  /** The type of item `index` of `kind`, which the caller has checked exists. */
  entity(kind: EntityKind, index: number): EntityType {
    switch (kind) {
      case Kind.Func:
        return { kind: Kind.Func, type: this.funcs[index] };
      case Kind.Table:
        return this.tables[index];
      case Kind.Memory:
        return this.memories[index];
      case Kind.Global:
        return this.globals[index];
      case Kind.Tag:
        return { kind: Kind.Tag, type: this.tags[index] };
      case Kind.Module:
        return { kind: Kind.Module, type: this.modules[index] };
      case Kind.Instance:
        return { kind: Kind.Instance, type: this.instances[index] };
      default:
        return unreachable(kind, "entity kind");
    }
  }

  /** Adds an item of type `type` to the index space of its kind. */
  push(type: EntityType): void {
    switch (type.kind) {
      case Kind.Func:
        this.funcs.push(type.type);
        return;
      case Kind.Table:
        this.tables.push(type);
        return;
      case Kind.Memory:
        this.memories.push(type);
        return;
      case Kind.Global:
        this.globals.push(type);
        return;
      case Kind.Tag:
        this.tags.push(type.type);
        return;
      case Kind.Module:
        this.modules.push(type.type);
        return;
      case Kind.Instance:
        this.instances.push(type.type);
        return;
      default:
        unreachable(type, "entity type");
    }
  }
}
