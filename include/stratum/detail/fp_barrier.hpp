// A floating-point barrier: it forces a value to be materialised (rounded to its type) before it is used, so
// the compiler cannot contract a product and a sum into one fused multiply-add. The reference implementations
// we match (pycocotools' C and numpy) round every product and sum separately; with -ffp-contract=fast (GCC's
// default in GNU mode) and -march=native a plain `a * b - c` may become fma(a, b, -c) and change the last
// bit. An empty asm statement that claims to modify the register is opaque to the optimiser and costs
// nothing.
#pragma once

namespace stratum::detail {

template <class T>
inline void fp_barrier(T& x) noexcept {
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
  __asm__("" : "+v"(x));
#elif defined(__GNUC__) && defined(__aarch64__)
  __asm__("" : "+w"(x));
#elif defined(__GNUC__)
  __asm__("" : "+m"(x));
#else
  volatile T v = x;  // MSVC does not contract across statements under /fp:precise; keep a store anyway
  x = v;
#endif
}

/// Returns `x` after a barrier (see fp_barrier).
template <class T>
[[nodiscard]] inline T rounded(T x) noexcept {
  fp_barrier(x);
  return x;
}

}  // namespace stratum::detail
