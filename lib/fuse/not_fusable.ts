/**
 * Why a module is not fused: thrown while planning or laying out a fusion,
 * and caught by `fuseModule`, which keeps the reason for `inspect`.
 *
 * @module
 */

/** A graph fusion cannot or should not compile into one core module; `reason` says why. */
export class NotFusable extends Error {
  /** Makes it. */
  constructor(readonly reason: string) {
    super(reason);
    this.name = "NotFusable";
  }
}
