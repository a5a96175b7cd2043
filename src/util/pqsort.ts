// Redis's pqsort.c (NetBSD's Bentley-McIlroy quicksort, pruned to the ranks that are asked for,
// without the "no swaps: switch to insertion sort" shortcut, which Redis 7.0 dropped), ported as
// is: GEORADIUS … COUNT n sorts the first n places with it, and because it is not stable, equal
// distances come out in exactly the order Redis leaves them.

type Cmp<T> = (a: T, b: T) => number;

/** Sorts `arr` enough that places lrange..rrange (inclusive) hold what a full sort would put there. */
export function pqsort<T>(arr: T[], cmp: Cmp<T>, lrange: number, rrange: number): void {
  sortRange(arr, 0, arr.length, cmp, lrange, rrange);
}

function sortRange<T>(arr: T[], a: number, n: number, cmp: Cmp<T>, L: number, R: number): void {
  const swap = (i: number, j: number) => {
    const t = arr[i];
    arr[i] = arr[j];
    arr[j] = t;
  };
  const vecswap = (i: number, j: number, k: number) => {
    for (let x = 0; x < k; x++) swap(i + x, j + x);
  };
  const med3 = (i: number, j: number, k: number) =>
    cmp(arr[i], arr[j]) < 0
      ? (cmp(arr[j], arr[k]) < 0 ? j : cmp(arr[i], arr[k]) < 0 ? k : i)
      : (cmp(arr[j], arr[k]) > 0 ? j : cmp(arr[i], arr[k]) < 0 ? i : k);
  const insertion = () => {
    for (let pm = a + 1; pm < a + n; pm++) {
      for (let pl = pm; pl > a && cmp(arr[pl - 1], arr[pl]) > 0; pl--) swap(pl, pl - 1);
    }
  };
  // Whether the sub-array [s, e] holds any of the wanted places.
  const wanted = (s: number, e: number) => !((L < s && R < s) || (L > e && R > e));

  for (;;) {
    if (n < 7) return insertion();
    let pm = a + Math.floor(n / 2);
    if (n > 7) {
      let pl = a;
      let pn = a + n - 1;
      if (n > 40) {
        const d = Math.floor(n / 8);
        pl = med3(pl, pl + d, pl + 2 * d);
        pm = med3(pm - d, pm, pm + d);
        pn = med3(pn - 2 * d, pn - d, pn);
      }
      pm = med3(pl, pm, pn);
    }
    swap(a, pm);
    let pa = a + 1, pb = a + 1;
    let pc = a + n - 1, pd = a + n - 1;
    for (;;) {
      let c: number;
      while (pb <= pc && (c = cmp(arr[pb], arr[a])) <= 0) {
        if (c === 0) {
          swap(pa, pb);
          pa++;
        }
        pb++;
      }
      while (pb <= pc && (c = cmp(arr[pc], arr[a])) >= 0) {
        if (c === 0) {
          swap(pc, pd);
          pd--;
        }
        pc--;
      }
      if (pb > pc) break;
      swap(pb, pc);
      pb++;
      pc--;
    }
    const pn = a + n;
    let r = Math.min(pa - a, pb - pa);
    vecswap(a, pb - r, r);
    r = Math.min(pd - pc, pn - pd - 1);
    vecswap(pb, pn - r, r);
    if ((r = pb - pa) > 1 && wanted(a, a + r - 1)) sortRange(arr, a, r, cmp, L, R);
    if ((r = pd - pc) > 1) {
      a = pn - r;
      n = r;
      if (wanted(a, a + r - 1)) continue;
    }
    return;
  }
}
