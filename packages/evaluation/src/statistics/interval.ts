/** A point estimate with a confidence interval. */
export interface Interval {
  readonly estimate: number;
  readonly low: number;
  readonly high: number;
  /** confidence level in (0, 1), e.g. 0.95 */
  readonly level: number;
}
