// Longest common subsequence of two byte strings, by the same dynamic-programming table and
// backward walk as Redis's lcsCommand, so the chosen subsequence and match ranges are identical.

/** One matching range, inclusive positions in a and b, as LCS IDX reports it. */
export interface LcsMatch {
  aStart: number;
  aEnd: number;
  bStart: number;
  bEnd: number;
  len: number;
}

export interface LcsResult {
  /** Length of the LCS. */
  length: number;
  /** The LCS itself (when asked for). */
  lcs?: Uint8Array;
  /** Ranges from the end of the strings backwards (when asked for), filtered by minMatchLen. */
  matches?: LcsMatch[];
}

/** Cells of the table (alen+1)·(blen+1) of uint32, for the caller's memory limit check. */
export function lcsTableBytes(alen: number, blen: number): number {
  return (alen + 1) * (blen + 1) * 4;
}

export function computeLcs(
  a: Uint8Array,
  b: Uint8Array,
  want: { lcs: boolean; matches: boolean; minMatchLen: number },
): LcsResult {
  const alen = a.length;
  const blen = b.length;
  const w = blen + 1;
  const dp = new Uint32Array((alen + 1) * w);
  for (let i = 1; i <= alen; i++) {
    const row = i * w;
    const prev = row - w;
    const ai = a[i - 1];
    for (let j = 1; j <= blen; j++) {
      if (ai === b[j - 1]) dp[row + j] = dp[prev + j - 1] + 1;
      else {
        const up = dp[prev + j];
        const left = dp[row + j - 1];
        dp[row + j] = up > left ? up : left;
      }
    }
  }
  const length = dp[alen * w + blen];
  const result: LcsResult = { length };
  if (!want.lcs && !want.matches) return result;

  const out = new Uint8Array(length);
  const matches: LcsMatch[] = [];
  let idx = length;
  // aStart === alen means "no range open", as in Redis.
  let aStart = alen, aEnd = 0, bStart = 0, bEnd = 0;
  let i = alen, j = blen;
  while (i > 0 && j > 0) {
    let emit = false;
    if (a[i - 1] === b[j - 1]) {
      out[idx - 1] = a[i - 1];
      if (aStart === alen) {
        aStart = aEnd = i - 1;
        bStart = bEnd = j - 1;
      } else if (aStart === i && bStart === j) {
        aStart--;
        bStart--;
      } else emit = true;
      if (aStart === 0 || bStart === 0) emit = true;
      idx--;
      i--;
      j--;
    } else {
      if (dp[(i - 1) * w + j] > dp[i * w + j - 1]) i--;
      else j--;
      if (aStart !== alen) emit = true;
    }
    if (emit) {
      const len = aEnd - aStart + 1;
      if (want.minMatchLen === 0 || len >= want.minMatchLen) {
        matches.push({ aStart, aEnd, bStart, bEnd, len });
      }
      aStart = alen;
    }
  }
  if (want.lcs) result.lcs = out;
  if (want.matches) result.matches = matches;
  return result;
}
