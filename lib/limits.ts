/**
 * Limits that stop hostile input cheaply. Each is far above what real
 * programs use; crossing one is a `CompileError`, `LinkError` or `ArtifactError`
 * that names it.
 *
 * @module
 */

/** How deep modules may nest inside modules. */
export const MAX_NESTING_DEPTH = 100;

/** Most entries of one kind (types, imports, aliases, …) one module may declare. */
export const MAX_ITEMS = 1_000_000;

/**
 * How deep module and instance types written inline in text may nest, as
 * in `(instance (export "a" (instance (export "b" …))))`. The text
 * front-end reads them by recursion; past this the text is rejected rather
 * than the stack overflowing. Named types (`(type $t …)`) reach deeper.
 */
export const MAX_INLINE_TYPE_NESTING = 100;

/**
 * How deep core code in text may nest, counting each open parenthesis and
 * each `block`, `loop`, `if` or `try` written without them (`(module` and
 * `(func` included). wabt's text parser (wabt.js 1.0.39) recurses once per
 * level on a fixed stack of about 64 KiB, with no check: it overflows at
 * about 150 levels of folded blocks and 178 of unfolded ones, and then
 * corrupts its memory and crashes or loops for ever. 128 leaves a margin.
 */
export const MAX_CORE_TEXT_NESTING = 128;

/** Most arguments one `instantiate` may name, and most exports one instance made of exports may have. */
export const MAX_INSTANTIATE_ARGS = 100_000;

/**
 * Most modules one binary or text may hold, nested ones at every depth and
 * the outermost included. A module costs up to 1–2 KB of memory while it is
 * compiled, however small its encoding (an empty one takes 9 bytes): a 25 MB
 * binary of a million modules took 2.26 GB. At this cap compiling peaks at
 * about 110 MB more than an empty process for a binary, 185 MB for text.
 * Real programs have tens.
 */
export const MAX_MODULES = 100_000;

/**
 * Most that a module or instance type may reference, counted as if
 * expanded. A type's effective size is 1 plus 1 for each func, table, memory
 * or global it imports or exports, plus the effective size of each module
 * or instance type it imports or exports, counted as often as it is
 * referenced. Its own members are not limited here: their encoding pays
 * for them, and {@linkcode MAX_ITEMS} bounds them. What they reference is:
 * the effective size minus 1 for the type and 1 for each member must stay
 * within this. Walking a type (checking a host value against it, printing
 * it) visits its expanded form, which sharing could otherwise make
 * exponentially larger than the binary. A core module's type references
 * one field per two-level import, so every module within V8's limit of
 * 100,000 imports fits.
 */
export const MAX_TYPE_SIZE = 100_000;

/**
 * How deep module and instance types may nest: an instance type exporting
 * an instance type exporting … Code that walks types (linking host values,
 * printing, rendering declarations) may recurse once per level; this keeps
 * it far from the call stack's limit. Modules nest at most 100 deep, and a
 * type gains a few levels per module at most.
 */
export const MAX_TYPE_DEPTH = 1_000;

/**
 * Most work the subtype checks of one compile may do, in member
 * comparisons; checking a pair of module or instance types not proven
 * before costs 16 more. A pair is checked once however often it recurs, so
 * real programs use little of this (matching an instance of 100,000 funcs,
 * V8's limit of imports, costs 100,000); it bounds a binary made of many
 * different large types to about a second of checking, and the proven pairs
 * it remembers to some 30 MB.
 */
export const MAX_SUBTYPE_WORK = 10_000_000;

/** Default cap on instances one `instantiate` call may create, nested ones included. */
export const DEFAULT_MAX_INSTANCES = 10_000;

/** How deep instantiations may nest (a module instantiating a module instantiating …). */
export const MAX_INSTANTIATION_DEPTH = 500;

/**
 * Most UTF-16 units the paths of one fused module's instances may take
 * together (16 Mi). An artifact writes each path as what it shares with
 * the one before, so a few bytes can stand for a long path: without a
 * bound, a crafted artifact could make its reader build strings out of
 * all proportion to its size. Fusion refuses a graph past it (2,000
 * instances 100 deep with 80-character names stay within).
 */
export const MAX_FUSED_PATH_UNITS = 1 << 24;

/**
 * Largest `manifest.json` the loader reads (8 MiB). An entry takes about 150
 * bytes, so this is some 50,000 artifacts; a bigger file is a mistake or an
 * attack, and is refused before it is read into memory.
 */
export const MAX_MANIFEST_BYTES = 8 * 1024 * 1024;

/**
 * Largest cache entry (and precompile source) read, 1 GiB. V8 compiles no
 * core module larger than that, and an artifact is its core modules plus
 * small metadata, so a bigger file is a mistake or an attack; the format's
 * own ceiling (4 GiB) is more than a process should read by surprise. An
 * option raises or lowers it where files are read.
 */
export const MAX_ARTIFACT_BYTES = 1024 * 1024 * 1024;

/**
 * Largest file `readRegularFile` (lib/file_reader.ts) reads: 1 GiB, the most V8
 * compiles as one module. Bigger is refused before anything is allocated.
 */
export const MAX_INPUT_BYTES = 1 << 30;
