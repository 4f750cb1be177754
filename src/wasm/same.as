// Bitwise equality of two float arrays (AssemblyScript, WebAssembly SIMD), for the backend's
// cache of packed weights: a weight is packed again only when its bits changed.

/** 1 when the `n` floats at `a` and `b` have the same bits (NaNs included), else 0. */
export function sameFloats(a: usize, b: usize, n: i32): i32 {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    if (!v128.all_true<i32>(i32x4.eq(v128.load(a + o), v128.load(b + o)))) return 0;
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    if (load<u32>(a + o) != load<u32>(b + o)) return 0;
  }
  return 1;
}
