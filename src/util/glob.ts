// Glob-style matching, a line-by-line port of Redis 7.0's stringmatchlen (util.c), used by KEYS,
// SCAN MATCH, PSUBSCRIBE and CONFIG GET. Works on latin1 binary strings (one char per byte).

/** Nesting depth past which a pattern simply fails to match, as Redis's abuse protection. */
const MAX_NESTING = 1000;

/**
 * Byte at `i` as C's signed `char` would read it, with 0 past the end (Redis strings are sds, so
 * a NUL always follows the last byte). Signedness matters: in `[a-\xff]` Redis compares signed
 * chars, so bytes >= 0x80 sort below ASCII.
 */
function at(s: string, i: number): number {
  if (i >= s.length) return 0;
  const c = s.charCodeAt(i) & 0xff;
  return c >= 128 ? c - 256 : c;
}

/** C's tolower in the "C" locale (only A-Z change). */
function lower(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

const STAR = 42; // '*'
const QMARK = 63; // '?'
const LBRACKET = 91; // '['
const RBRACKET = 93; // ']'
const BACKSLASH = 92; // '\\'
const CARET = 94; // '^'
const DASH = 45; // '-'

interface State {
  /** Set once a `*` found no match for the rest of the pattern anywhere in the string. */
  skipLongerMatches: boolean;
}

function matchImpl(
  pattern: string,
  p: number,
  pLen: number,
  str: string,
  s: number,
  sLen: number,
  nocase: boolean,
  st: State,
  nesting: number,
): boolean {
  // Protection against abusive patterns (deep recursion on many '*').
  if (nesting > MAX_NESTING) return false;

  while (pLen > 0 && sLen > 0) {
    switch (at(pattern, p)) {
      case STAR: {
        while (pLen > 0 && at(pattern, p + 1) === STAR) {
          p++;
          pLen--;
        }
        if (pLen === 1) return true; // a trailing '*' matches the rest
        while (sLen > 0) {
          if (matchImpl(pattern, p + 1, pLen - 1, str, s, sLen, nocase, st, nesting + 1)) {
            return true;
          }
          if (st.skipLongerMatches) return false;
          s++;
          sLen--;
        }
        // The rest of the pattern matches nowhere in the rest of the string, so no earlier '*'
        // can help by consuming more: stop the whole search (keeps matching polynomial).
        st.skipLongerMatches = true;
        return false;
      }
      case QMARK:
        s++;
        sLen--;
        break;
      case LBRACKET: {
        p++;
        pLen--;
        const not = at(pattern, p) === CARET;
        if (not) {
          p++;
          pLen--;
        }
        let match = false;
        const c0 = at(str, s);
        for (;;) {
          const pc = at(pattern, p);
          if (pc === BACKSLASH && pLen >= 2) {
            p++;
            pLen--;
            if (at(pattern, p) === c0) match = true;
          } else if (pc === RBRACKET) {
            break;
          } else if (pLen === 0) {
            // Unterminated class: step back so the increment below ends at the pattern end.
            p--;
            pLen++;
            break;
          } else if (pLen >= 3 && at(pattern, p + 1) === DASH) {
            let start = pc;
            let end = at(pattern, p + 2);
            let c = c0;
            if (start > end) [start, end] = [end, start];
            if (nocase) {
              start = lower(start);
              end = lower(end);
              c = lower(c);
            }
            p += 2;
            pLen -= 2;
            if (c >= start && c <= end) match = true;
          } else if (!nocase) {
            if (pc === c0) match = true;
          } else if (lower(pc) === lower(c0)) {
            match = true;
          }
          p++;
          pLen--;
        }
        if (not) match = !match;
        if (!match) return false;
        s++;
        sLen--;
        break;
      }
      case BACKSLASH:
        if (pLen >= 2) {
          p++;
          pLen--;
        }
      // falls through
      default: {
        const pc = at(pattern, p);
        const c = at(str, s);
        if (nocase ? lower(pc) !== lower(c) : pc !== c) return false;
        s++;
        sLen--;
        break;
      }
    }
    p++;
    pLen--;
    if (sLen === 0) {
      while (at(pattern, p) === STAR) {
        p++;
        pLen--;
      }
      break;
    }
  }
  return pLen === 0 && sLen === 0;
}

/** True when `str` matches the glob `pattern` (both binary strings), as Redis's stringmatchlen. */
export function globMatch(pattern: string, str: string, nocase = false): boolean {
  return matchImpl(pattern, 0, pattern.length, str, 0, str.length, nocase, {
    skipLongerMatches: false,
  }, 0);
}

/** Case-insensitive variant (CONFIG GET). */
export function globMatchNocase(pattern: string, str: string): boolean {
  return globMatch(pattern, str, true);
}
