// The compact ("listpack") sorted set: parallel member and score arrays in (score, member) order,
// searched linearly like Redis's zzl* functions (at most zset-max-listpack-entries long).

import {
  gteMin,
  lexGteMin,
  lexLteMax,
  type LexRange,
  lexRangeEmpty,
  lteMax,
  type ScoreRange,
  scoreRangeEmpty,
} from "./zset_ranges.ts";

/** zzlInsert: adds a member known to be absent at its sorted place. */
export function lpInsert(m: string[], s: number[], member: string, score: number): void {
  // A listpack stores integral scores as integers (double2ll), so -0 reads back as 0.
  if (score === 0) score = 0;
  let lo = 0, hi = m.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (s[mid] < score || (s[mid] === score && m[mid] < member)) lo = mid + 1;
    else hi = mid;
  }
  if (lo === m.length) {
    m.push(member);
    s.push(score);
  } else {
    m.splice(lo, 0, member);
    s.splice(lo, 0, score);
  }
}

/** zzlFirstInRange: index of the first entry in the range, -1 if none. */
export function lpFirstInRange(s: number[], r: ScoreRange): number {
  if (scoreRangeEmpty(r) || s.length === 0) return -1;
  for (let i = 0; i < s.length; i++) if (gteMin(s[i], r)) return lteMax(s[i], r) ? i : -1;
  return -1;
}

export function lpLastInRange(s: number[], r: ScoreRange): number {
  if (scoreRangeEmpty(r) || s.length === 0) return -1;
  for (let i = s.length - 1; i >= 0; i--) if (lteMax(s[i], r)) return gteMin(s[i], r) ? i : -1;
  return -1;
}

/** zzlIsInLexRange: with mixed scores members are not in lex order, so these checks matter. */
function inLexRange(m: string[], r: LexRange): boolean {
  if (lexRangeEmpty(r) || m.length === 0) return false;
  return lexGteMin(m[m.length - 1], r) && lexLteMax(m[0], r);
}

export function lpFirstInLex(m: string[], r: LexRange): number {
  if (!inLexRange(m, r)) return -1;
  for (let i = 0; i < m.length; i++) if (lexGteMin(m[i], r)) return lexLteMax(m[i], r) ? i : -1;
  return -1;
}

export function lpLastInLex(m: string[], r: LexRange): number {
  if (!inLexRange(m, r)) return -1;
  for (let i = m.length - 1; i >= 0; i--) {
    if (lexLteMax(m[i], r)) return lexGteMin(m[i], r) ? i : -1;
  }
  return -1;
}
