/**
 * What reading and verifying the records of one module know about the blob
 * around it.
 *
 * @module
 */

import type { CompiledModule } from "../../compiled.ts";
import type { EntityKind } from "../../ir.ts";
import type { TypeTables } from "../../types.ts";
import type { ArtifactReader } from "../bytes.ts";

/** What reading a module needs: the blob's types and how many modules the blob has. */
export interface BlobContext {
  /** The blob's type tables, read before its modules. */
  readonly types: TypeTables;
  /** How many modules the blob has: what its module indices must be below. */
  readonly moduleCount: number;
}

/**
 * The state of replaying one module's initializers once its whole blob is
 * read: the sizes of its index spaces so far, so that every index the
 * runtime will use is known to be in range.
 */
export class Replay {
  readonly #r: ArtifactReader;
  /** Every module of the blob. */
  readonly modules: readonly CompiledModule[];
  /** The blob's types. */
  readonly types: TypeTables;
  /** The index of the module replayed. */
  readonly self: number;
  /** The module replayed. */
  readonly module: CompiledModule;
  // The size of each index space so far, by kind: Kind.Func (0) to
  // Kind.Instance (6). A literal, as it is the cheapest array to make, and
  // one is made for every module read.
  readonly #counts = [0, 0, 0, 0, 0, 0, 0];
  readonly #children: ReadonlySet<number>;
  readonly #importKinds = new Map<string, EntityKind>();

  /** Starts replaying module `self` of a blob with these types and modules. */
  constructor(
    r: ArtifactReader,
    blob: { readonly types: TypeTables; readonly modules: readonly CompiledModule[] },
    self: number,
  ) {
    this.#r = r;
    this.modules = blob.modules;
    this.types = blob.types;
    this.self = self;
    this.module = blob.modules[self];
    this.#children = new Set(this.module.children);
    for (const imp of blob.types.modules[this.module.type].imports) {
      this.#importKinds.set(imp.name, imp.type.kind);
    }
  }

  /** Throws an `ArtifactError`. */
  fail(reason: string): never {
    return this.#r.fail(reason);
  }

  /** The kind of import `name` of the module's type, if it has one. */
  importKind(name: string): EntityKind | undefined {
    return this.#importKinds.get(name);
  }

  /** Whether module `index` of the blob is nested directly in this one. */
  isChild(index: number): boolean {
    return this.#children.has(index);
  }

  /** A step pushed a value onto the index space of `kind`. */
  push(kind: EntityKind): void {
    this.#counts[kind]++;
  }

  /** Fails unless `index` is in the index space of `kind` as it is now. */
  inRange(kind: EntityKind, index: number, what: string): void {
    if (index >= this.#counts[kind]) {
      this.#r.fail(`${this.module.name || "module"}: ${what} index ${index} out of range`);
    }
  }
}
