/**
 * The blob record: one compiled binary, its type tables, its modules in
 * pre-order and which of them is the top-level one. Reading a blob verifies
 * it whole: each module's initializers and exports, then that its modules
 * form one tree.
 *
 * @module
 */

import type { CompiledBlob, CompiledModule } from "../../compiled.ts";
import { MAX_MODULES, MAX_NESTING_DEPTH } from "../../limits.ts";
import type { ArtifactReader } from "../bytes.ts";
import type { Codec } from "../codec.ts";
import { MODULE, verifyModule } from "./module.ts";
import { TYPE_TABLES } from "./types.ts";

/** A compiled blob: its types, then its modules, then the index of its root module. */
export const BLOB: Codec<CompiledBlob> = {
  write(w, blob) {
    TYPE_TABLES.write(w, blob.types);
    w.uint(blob.modules.length);
    for (const m of blob.modules) MODULE.write(w, m);
    w.uint(blob.root);
  },
  read(r) {
    const types = TYPE_TABLES.read(r);
    const count = r.count("module");
    // As in a binary: a module costs far more in memory than its few bytes.
    if (count > MAX_MODULES) r.fail(`more than ${MAX_MODULES} modules in one blob`);
    const context = { types, moduleCount: count };
    const modules: CompiledModule[] = [];
    for (let i = 0; i < count; i++) modules.push(MODULE.read(r, context));
    const root = r.below(modules.length, "root module");
    const blob = { types, modules, root };
    for (let i = 0; i < modules.length; i++) verifyModule(r, blob, i);
    verifyTree(r, modules, root);
    return blob;
  },
};

/**
 * Checks that a blob's modules form one tree, in pre-order as the compiler
 * writes them: every child comes after its parent and has that one parent,
 * the root has none, and no module nests deeper than the compiler allows.
 * Everything that walks the tree (paths for messages, `inspect`) may then
 * visit each module once, and recursion over it stays shallow. One pass, no
 * recursion, whatever the artifact says.
 */
function verifyTree(
  r: ArtifactReader,
  modules: readonly CompiledModule[],
  root: number,
): void {
  // depth[i]: the nesting depth of module i once its parent is known; -1 before.
  const depth = new Int32Array(modules.length).fill(-1);
  depth[root] = 0;
  for (let i = 0; i < modules.length; i++) {
    if (depth[i] < 0) r.fail(`module ${i} is neither the root nor nested in another module`);
    for (const child of modules[i].children) {
      if (child <= i) {
        r.fail(
          `module ${i} lists module ${child} as nested, but nested modules come after their parent`,
        );
      }
      if (child === root || depth[child] >= 0) {
        r.fail(`module ${child} is nested in more than one module`);
      }
      depth[child] = depth[i] + 1;
      if (depth[child] > MAX_NESTING_DEPTH) {
        r.fail(`modules nested more than ${MAX_NESTING_DEPTH} deep`);
      }
    }
  }
}
