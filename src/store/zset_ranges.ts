// Score and lex intervals of the sorted-set range commands (Redis's zrangespec / zlexrangespec)
// and the comparisons both encodings use to walk them.

/** A score interval; `minex`/`maxex` make the bound exclusive ("(" in Redis's syntax). */
export interface ScoreRange {
  min: number;
  max: number;
  minex: boolean;
  maxex: boolean;
}

/** The "-" and "+" lex bounds: smaller / greater than every string. */
export const LEX_MIN: unique symbol = Symbol("-");
export const LEX_MAX: unique symbol = Symbol("+");
export type LexBound = string | typeof LEX_MIN | typeof LEX_MAX;

export interface LexRange {
  min: LexBound;
  max: LexBound;
  minex: boolean;
  maxex: boolean;
}

/** Redis's sdscmplex: strings compared as bytes, with "-" / "+" below / above everything. */
export function compareLex(a: LexBound, b: LexBound): number {
  if (a === b) return 0;
  if (a === LEX_MIN || b === LEX_MAX) return -1;
  if (a === LEX_MAX || b === LEX_MIN) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function gteMin(v: number, r: ScoreRange): boolean {
  return r.minex ? v > r.min : v >= r.min;
}

export function lteMax(v: number, r: ScoreRange): boolean {
  return r.maxex ? v < r.max : v <= r.max;
}

export function lexGteMin(v: string, r: LexRange): boolean {
  const c = compareLex(v, r.min);
  return r.minex ? c > 0 : c >= 0;
}

export function lexLteMax(v: string, r: LexRange): boolean {
  const c = compareLex(v, r.max);
  return r.maxex ? c < 0 : c <= 0;
}

/** True when no score can satisfy the range (min > max, or an empty exclusive point). */
export function scoreRangeEmpty(r: ScoreRange): boolean {
  return r.min > r.max || (r.min === r.max && (r.minex || r.maxex));
}

export function lexRangeEmpty(r: LexRange): boolean {
  const c = compareLex(r.min, r.max);
  return c > 0 || (c === 0 && (r.minex || r.maxex));
}
