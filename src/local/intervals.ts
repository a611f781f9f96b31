/**
 * Sets of completion indexes in the compressed interval form the Job API uses
 * for `status.completedIndexes`, `status.failedIndexes` and
 * `successPolicy.rules[].succeededIndexes` ("1,3-5,7").
 */

/** A closed range of indexes, `first <= last`. */
export interface IndexInterval {
  readonly first: number;
  readonly last: number;
}

/**
 * An ascending, non-overlapping, non-adjacent list of index ranges.
 *
 * @example
 * ```ts
 * const s = IndexSet.of([5, 1, 3, 4]);
 * s.toString(); // "1,3-5"
 * s.has(4);     // true
 * ```
 */
export class IndexSet {
  readonly intervals: readonly IndexInterval[];

  private constructor(intervals: readonly IndexInterval[]) {
    this.intervals = intervals;
  }

  /** The empty set. */
  static readonly empty = new IndexSet([]);

  /** A set from individual indexes, in any order, duplicates allowed. */
  static of(indexes: Iterable<number>): IndexSet {
    return IndexSet.empty.with(indexes);
  }

  /**
   * Parses the API form, ignoring indexes >= `completions` and clamping ranges,
   * the way the Job controller reads its own status. Malformed parts are skipped.
   */
  static parse(text: string, completions: number): IndexSet {
    if (text === '') return IndexSet.empty;
    const out: IndexInterval[] = [];
    for (const part of text.split(',')) {
      const [firstText, lastText] = part.split('-');
      const first = Number.parseInt(firstText ?? '', 10);
      if (!Number.isInteger(first)) continue;
      if (first >= completions) break;
      let last = first;
      if (lastText !== undefined) {
        last = Number.parseInt(lastText, 10);
        if (!Number.isInteger(last)) continue;
        if (last >= completions) last = completions - 1;
      }
      const prev = out[out.length - 1];
      if (prev !== undefined && prev.last === first - 1) out[out.length - 1] = { first: prev.first, last };
      else out.push({ first, last });
    }
    return new IndexSet(out);
  }

  /** A new set with the given indexes added. */
  with(indexes: Iterable<number>): IndexSet {
    const sorted = [...new Set(indexes)].sort((a, b) => a - b);
    return this.merge(new IndexSet(sorted.map((i) => ({ first: i, last: i }))));
  }

  /** The union of two sets. */
  merge(other: IndexSet): IndexSet {
    const all = [...this.intervals, ...other.intervals].sort((a, b) => a.first - b.first);
    const out: IndexInterval[] = [];
    for (const iv of all) {
      const prev = out[out.length - 1];
      if (prev === undefined || iv.first > prev.last + 1) out.push({ ...iv });
      else if (iv.last > prev.last) out[out.length - 1] = { first: prev.first, last: iv.last };
    }
    return new IndexSet(out);
  }

  /** Whether the index is in the set. */
  has(index: number): boolean {
    return this.intervals.some((iv) => iv.first <= index && index <= iv.last);
  }

  /** Number of indexes in the set. */
  get total(): number {
    return this.intervals.reduce((n, iv) => n + iv.last - iv.first + 1, 0);
  }

  /** How many of this set's indexes are also in `other`. */
  countIn(other: IndexSet): number {
    let n = 0;
    for (const a of this.intervals) {
      for (const b of other.intervals) {
        const overlap = Math.min(a.last, b.last) - Math.max(a.first, b.first) + 1;
        if (overlap > 0) n += overlap;
      }
    }
    return n;
  }

  /** The API form: runs of 3 or more as `a-b`, pairs as `a,b`. */
  toString(): string {
    return this.intervals
      .map((iv) => (iv.last === iv.first ? `${iv.first}` : iv.last === iv.first + 1 ? `${iv.first},${iv.last}` : `${iv.first}-${iv.last}`))
      .join(',');
  }
}

/**
 * Strictly validates an index list as the API server does for
 * `successPolicy.rules[].succeededIndexes`; returns the number of indexes or an
 * error text.
 */
export function checkIndexesFormat(text: string, completions: number): { total: number } | { error: string } {
  // Upstream: an empty list is valid (it selects no index).
  if (text.length === 0) return { total: 0 };
  let total = 0;
  let prev: number | undefined;
  for (const part of text.split(',')) {
    const bounds = part.split('-');
    if (bounds.length > 2) return { error: `the fragment "${part}" violates the requirement that an index interval can have at most two parts separated by '-'` };
    const nums: number[] = [];
    for (const b of bounds) {
      // strconv.Atoi (64-bit): decimal digits, an optional '+' (a '-' already split the part).
      if (!/^\+?\d+$/.test(b) || Number(b) >= 2 ** 63) return { error: `cannot convert string to integer for index: "${b}"` };
      const n = Number(b);
      if (n >= completions) return { error: `too large index: "${b}"` };
      nums.push(n);
    }
    const first = nums[0]!;
    const last = nums[1] ?? first;
    // An interval's two ends must differ: "1-1" is refused.
    if (nums.length === 2 && first >= last) return { error: `non-increasing order, previous: ${first}, current: ${last}` };
    if (prev !== undefined && prev >= first) return { error: `non-increasing order, previous: ${prev}, current: ${first}` };
    total += last - first + 1;
    prev = last;
  }
  return { total };
}
