/**
 * Fused compilation's building blocks: the core code rewriter, which
 * renumbers every index of a core module with index maps (see
 * `rewrite.ts`), and what it reports about active segments.
 *
 * @module
 */

export type { IndexSpace } from "../compile/opcodes.ts";
export type { IndexMap, IndexMaps } from "./maps.ts";
export {
  rewriteModule,
  type RewriteOptions,
  rewriteSections,
  type RewrittenModule,
  type RewrittenSections,
} from "./rewrite.ts";
export { type CoreSection, readSections, writeSections } from "./sections.ts";
export { type ActiveSegment, segmentInitCode } from "./segments.ts";
