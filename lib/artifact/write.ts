/**
 * Serializes a module graph into an artifact. Deterministic: the same graph
 * gives the same bytes.
 *
 * @module
 */

import type { CompiledBlob, CompiledModule, Initializer } from "../compiled.ts";
import type { EntityType, NamedType, TypeTables } from "../types.ts";
import { ArtifactWriter } from "./bytes.ts";
import { checksum } from "./checksum.ts";
import {
  ARTIFACT_MAGIC,
  ARTIFACT_VERSION,
  Flags,
  HEADER_SIZE,
  type ModuleGraph,
} from "./format.ts";

const OPS: Readonly<Record<Initializer["op"], number>> = {
  import: 0,
  alias: 1,
  upvar: 2,
  module: 3,
  instantiate: 4,
};

/** The bytes of an artifact holding `graph`. */
export function writeArtifact(graph: ModuleGraph): Uint8Array {
  const w = new ArtifactWriter();
  // Room for the header, filled in once the payload is known.
  w.raw(new Uint8Array(HEADER_SIZE));
  let flags = 0;
  w.uint(graph.blobs.length);
  for (const blob of graph.blobs) flags |= writeBlob(w, blob);
  w.uint(graph.nodes.length);
  for (const node of graph.nodes) {
    w.uint(node.blob);
    w.uint(node.module);
    w.uint(node.upvars.length);
    for (const u of node.upvars) w.uint(u);
  }
  w.uint(graph.root);
  const out = w.finish();
  const payload = out.subarray(HEADER_SIZE);
  const view = new DataView(out.buffer);
  out.set(ARTIFACT_MAGIC, 0);
  view.setUint32(4, ARTIFACT_VERSION, true);
  view.setUint32(8, flags, true);
  view.setUint32(12, payload.length, true);
  view.setUint32(16, checksum(payload), true);
  return out;
}

function writeBlob(w: ArtifactWriter, blob: CompiledBlob): number {
  const flags = writeTypes(w, blob.types);
  w.uint(blob.modules.length);
  for (const m of blob.modules) writeModule(w, m);
  w.uint(blob.root);
  return flags;
}

function valTypeFlags(types: readonly number[]): number {
  let flags = 0;
  for (const t of types) {
    if (t === 0x7b) flags |= Flags.Simd;
    if (t === 0x6f) flags |= Flags.ReferenceTypes;
  }
  return flags;
}

function writeTypes(w: ArtifactWriter, tables: TypeTables): number {
  let flags = 0;
  w.uint(tables.funcs.length);
  for (const f of tables.funcs) {
    w.bytes(Uint8Array.from(f.params));
    w.bytes(Uint8Array.from(f.results));
    flags |= valTypeFlags(f.params) | valTypeFlags(f.results);
    if (f.results.length > 1) flags |= Flags.MultiValue;
  }
  w.uint(tables.modules.length);
  for (const m of tables.modules) {
    flags |= writeNamed(w, m.imports);
    flags |= writeNamed(w, m.exports);
  }
  w.uint(tables.instances.length);
  for (const i of tables.instances) flags |= writeNamed(w, i.exports);
  return flags;
}

function writeNamed(w: ArtifactWriter, list: readonly NamedType[]): number {
  let flags = 0;
  w.uint(list.length);
  for (const item of list) {
    w.string(item.name);
    flags |= writeEntity(w, item.type);
  }
  return flags;
}

/** Writes an entity type; returns the feature flags it shows. */
export function writeEntity(w: ArtifactWriter, t: EntityType): number {
  w.u8(t.kind);
  switch (t.kind) {
    case 1:
      w.u8(t.type.elem);
      writeLimits(w, t.type.limits.min, t.type.limits.max);
      return valTypeFlags([t.type.elem]);
    case 2: {
      const m = t.type;
      w.u8((m.shared ? 1 : 0) | (m.memory64 ? 2 : 0));
      writeLimits(w, m.limits.min, m.limits.max);
      return (m.shared ? Flags.SharedMemory : 0) |
        (m.memory64 ? Flags.Memory64 : 0);
    }
    case 3:
      w.u8(t.type.type);
      w.u8(t.type.mutable ? 1 : 0);
      return valTypeFlags([t.type.type]);
    default:
      w.uint(t.type);
      return 0;
  }
}

function writeLimits(
  w: ArtifactWriter,
  min: number,
  max: number | undefined,
): void {
  w.u8(max === undefined ? 0 : 1);
  w.uint(min);
  if (max !== undefined) w.uint(max);
}

function writeModule(w: ArtifactWriter, m: CompiledModule): void {
  w.string(m.name);
  if (m.core === null) {
    w.u8(0);
  } else {
    w.u8(1);
    w.bytes(m.core);
  }
  w.uint(m.initializers.length);
  for (const init of m.initializers) {
    w.u8(OPS[init.op]);
    switch (init.op) {
      case "import":
        w.string(init.name);
        w.u8(init.kind);
        break;
      case "alias":
        w.uint(init.instance);
        w.string(init.name);
        w.u8(init.kind);
        break;
      case "upvar":
        w.uint(init.index);
        break;
      case "module":
        w.uint(init.compiled);
        break;
      case "instantiate":
        w.uint(init.module);
        w.uint(init.args.length);
        for (const a of init.args) {
          w.string(a.name);
          w.u8(a.kind);
          w.uint(a.index);
        }
        break;
    }
  }
  w.uint(m.exports.length);
  for (const e of m.exports) {
    w.string(e.name);
    w.u8(e.kind);
    w.uint(e.index);
    w.u8(e.local ? 1 : 0);
  }
  w.uint(m.imports.length);
  for (const i of m.imports) {
    w.string(i.module);
    w.u8(i.field === null ? 0 : 1);
    if (i.field !== null) w.string(i.field);
    writeEntity(w, i.type);
  }
  w.uint(m.type);
  w.uint(m.instanceType);
  w.uint(m.upvars.length);
  for (const u of m.upvars) {
    w.u8(u.from === "space" ? 0 : 1);
    w.uint(u.index);
  }
  w.uint(m.children.length);
  for (const c of m.children) w.uint(c);
}
