/**
 * The index spaces of a module as validation sees them: the type of every
 * item, in binary order.
 *
 * @module
 */

import type { EntityType } from "../types.ts";

/** A slot of a module's type index space: which kind of type, and its index in the TypeTables. */
export interface TypeSlot {
  readonly form: "func" | "module" | "instance";
  readonly index: number;
}

/** The index spaces of a module as validation sees them: types of every item. */
export class IndexSpaces {
  readonly types: TypeSlot[] = [];
  readonly funcs: number[] = [];
  readonly tables: EntityType[] = [];
  readonly memories: EntityType[] = [];
  readonly globals: EntityType[] = [];
  readonly modules: number[] = [];
  readonly instances: number[] = [];

  count(kind: number): number {
    switch (kind) {
      case 0:
        return this.funcs.length;
      case 1:
        return this.tables.length;
      case 2:
        return this.memories.length;
      case 3:
        return this.globals.length;
      case 5:
        return this.modules.length;
      case 6:
        return this.instances.length;
      default:
        return this.types.length;
    }
  }

  entity(kind: number, index: number): EntityType {
    switch (kind) {
      case 0:
        return { kind: 0, type: this.funcs[index] };
      case 1:
        return this.tables[index];
      case 2:
        return this.memories[index];
      case 3:
        return this.globals[index];
      case 5:
        return { kind: 5, type: this.modules[index] };
      default:
        return { kind: 6, type: this.instances[index] };
    }
  }

  push(type: EntityType): void {
    switch (type.kind) {
      case 0:
        this.funcs.push(type.type);
        break;
      case 1:
        this.tables.push(type);
        break;
      case 2:
        this.memories.push(type);
        break;
      case 3:
        this.globals.push(type);
        break;
      case 5:
        this.modules.push(type.type);
        break;
      case 6:
        this.instances.push(type.type);
        break;
    }
  }
}
