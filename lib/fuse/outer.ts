/**
 * What a nested module's upvars are, at compile time: fusion needs to know
 * whether a module it closes over is code the blob holds or a value only
 * the run time gives.
 *
 * @module
 */

import type { CompiledBlob } from "../compiled.ts";
import { Kind } from "../ir.ts";
import type { HostSym, Sym } from "./syms.ts";

/**
 * What a nested module's upvars are, found from the programs around it: a
 * module its parent (or an ancestor) defines is a module value whose code
 * is known, with its own upvars found the same way; one that an ancestor
 * imports, or aliases out of an instance, is known only at run time.
 */
export class OuterModules {
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
export function runTimeModule(k: number): HostSym {
  return {
    t: "host",
    kind: Kind.Module,
    type: { kind: Kind.Module, type: -1 }, // never read: fusion keeps module values as they are
    path: [`upvar ${k}`],
  };
}
