/**
 * The payload record: a module value and what it closed over, flattened
 * into a graph. Blobs come first, each once however many module values
 * share it; then the module values (nodes), each a module of a blob and the
 * earlier nodes it captured; then the node of the serialized module.
 *
 * @module
 */

import type { CompiledBlob } from "../../compiled.ts";
import type { Codec } from "../codec.ts";
import type { ModuleGraph } from "../format.ts";
import { BLOB } from "./blob.ts";

type Node = ModuleGraph["nodes"][number];

/**
 * A module value: a blob, a module of it, and the earlier nodes it captured,
 * one for each of the module's upvars. Reading node `index` needs the blobs.
 */
const NODE: Codec<Node, { readonly blobs: readonly CompiledBlob[]; readonly index: number }> = {
  write(w, node) {
    w.uint(node.blob);
    w.uint(node.module);
    w.uint(node.upvars.length);
    for (const u of node.upvars) w.uint(u);
  },
  read(r, { blobs, index }) {
    const blob = r.below(blobs.length, "blob index");
    const module = r.below(blobs[blob].modules.length, "module index");
    const upvarCount = r.count("upvar");
    if (upvarCount !== blobs[blob].modules[module].upvars.length) {
      r.fail("upvar count does not match the module");
    }
    const upvars: number[] = [];
    // Upvars are earlier module values: the graph has no cycles.
    for (let u = 0; u < upvarCount; u++) upvars.push(r.below(index, "upvar module value"));
    return { blob, module, upvars };
  },
};

/** A module graph: the whole payload, which must end where the graph does. */
export const GRAPH: Codec<ModuleGraph> = {
  write(w, graph) {
    w.uint(graph.blobs.length);
    for (const blob of graph.blobs) BLOB.write(w, blob);
    w.uint(graph.nodes.length);
    for (const node of graph.nodes) NODE.write(w, node);
    w.uint(graph.root);
  },
  read(r) {
    const blobs: CompiledBlob[] = [];
    const blobCount = r.count("blob");
    for (let i = 0; i < blobCount; i++) blobs.push(BLOB.read(r));
    const nodes: Node[] = [];
    const nodeCount = r.count("module value");
    for (let n = 0; n < nodeCount; n++) nodes.push(NODE.read(r, { blobs, index: n }));
    const root = r.below(nodes.length, "root module value");
    if (!r.done) r.fail("unexpected data after the module graph");
    return { blobs, nodes, root };
  },
};
