// Small byte arrays carved out of shared slabs. In Deno every new ArrayBuffer (new Uint8Array(n),
// slice(), TextEncoder.encode…) costs ~0.3-0.5 µs and ~450 bytes of RSS whatever its size (V8 here
// keeps no typed array on its own heap), while a view of an existing buffer costs ~30 ns and
// ~150 bytes. Hot paths that must copy a few bytes — a SET value, a counter, a reply leaving for
// the socket — copy them into the current slab instead.
//
// The price is that a slab is freed only when every view into it is gone: one long-lived value
// keeps its whole slab alive. Slabs are therefore small, only small copies are carved, and stored
// values and transient bytes use separate slabs so short-lived copies do not pin long-lived ones.

export class Slab {
  #buf: Uint8Array;
  #pos = 0;

  /** `size`: bytes per slab; `max`: longest copy carved (longer ones get their own buffer). */
  constructor(readonly size: number, readonly max: number) {
    this.#buf = new Uint8Array(size);
  }

  /** `n` fresh bytes (not zeroed when carved): the caller fills them. */
  alloc(n: number): Uint8Array {
    if (n > this.max) return new Uint8Array(n);
    let pos = this.#pos;
    if (pos + n > this.size) {
      this.#buf = new Uint8Array(this.size);
      pos = 0;
    }
    this.#pos = pos + n;
    return this.#buf.subarray(pos, pos + n);
  }

  /** A private copy of `b`. */
  copy(b: Uint8Array): Uint8Array {
    const n = b.length;
    if (n > this.max) return b.slice();
    const out = this.alloc(n);
    if (n <= 16) { for (let i = 0; i < n; i++) out[i] = b[i]; }
    else out.set(b);
    return out;
  }

  /** The bytes of an ASCII/latin1 string (numbers we formatted, binary-string keys). */
  latin1(s: string): Uint8Array {
    const n = s.length;
    const out = this.alloc(n);
    for (let i = 0; i < n; i++) out[i] = s.charCodeAt(i);
    return out;
  }
}

/** For bytes the keyspace keeps (string values): small slabs, so a survivor pins little. */
export const valueSlab = new Slab(8 * 1024, 256);

/** For bytes that live briefly (replies on their way to the socket, queued arguments). */
export const scratchSlab = new Slab(64 * 1024, 8 * 1024);
