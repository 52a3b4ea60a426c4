/* Stable sorting along one axis, for the Sort / ArgSort ops (compiler/ops/sort.py).
 *
 * AG_SORT_DEFINE(T) defines ag_argsort_T(values, n, stride, idx, tmp): idx[0..n) receives
 * the positions 0..n-1 ordered by the values at `values + k * stride` (bytes), ascending,
 * equal values in their original order, NaNs last (as numpy).  A bottom-up merge sort on
 * the indices: O(n log n), `tmp` holds n more indices.  Insertion sort below 16 elements. */
#ifndef AG_SORT_H
#define AG_SORT_H

#define AG_SORT_LESS(a, b) ((a) < (b) || ((b) != (b) && (a) == (a)))

#define AG_SORT_DEFINE(T)                                                                   \
static void ag_argsort_##T(const char *values, npy_intp n, npy_intp stride,                 \
                           npy_int64 *idx, npy_int64 *tmp) {                                \
    for (npy_intp k = 0; k < n; k++) idx[k] = k;                                            \
    const npy_intp run = 16;                                                                \
    for (npy_intp lo = 0; lo < n; lo += run) {                                              \
        npy_intp hi = lo + run < n ? lo + run : n;                                          \
        for (npy_intp i = lo + 1; i < hi; i++) {                                            \
            npy_int64 moving = idx[i];                                                      \
            T v = *(const T *)(values + moving * stride);                                   \
            npy_intp j = i;                                                                 \
            while (j > lo && AG_SORT_LESS(v, *(const T *)(values + idx[j - 1] * stride))) { \
                idx[j] = idx[j - 1];                                                        \
                j--;                                                                        \
            }                                                                               \
            idx[j] = moving;                                                                \
        }                                                                                   \
    }                                                                                       \
    npy_int64 *from = idx, *to = tmp;                                                       \
    for (npy_intp width = run; width < n; width *= 2) {                                     \
        for (npy_intp lo = 0; lo < n; lo += 2 * width) {                                    \
            npy_intp mid = lo + width < n ? lo + width : n;                                 \
            npy_intp hi = lo + 2 * width < n ? lo + 2 * width : n;                          \
            npy_intp a = lo, b = mid, out = lo;                                             \
            while (a < mid && b < hi) {                                                     \
                T va = *(const T *)(values + from[a] * stride);                             \
                T vb = *(const T *)(values + from[b] * stride);                             \
                to[out++] = AG_SORT_LESS(vb, va) ? from[b++] : from[a++];                   \
            }                                                                               \
            while (a < mid) to[out++] = from[a++];                                          \
            while (b < hi) to[out++] = from[b++];                                           \
        }                                                                                   \
        npy_int64 *swap = from; from = to; to = swap;                                       \
    }                                                                                       \
    if (from != idx) memcpy(idx, from, (size_t)n * sizeof(npy_int64));                      \
}

#endif
