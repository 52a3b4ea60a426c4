/* 2-d pooling kernels for generated modules: forward (max, sum, two averages), the
 * gradients of max and of the sums/averages, and the gradient of the max gradient.
 *
 * arignote/compiler/ops/pool.py holds the numpy reference and the meaning of the parameters;
 * codegen/pool_c.py checks shapes, makes the operands contiguous and calls these.  Every
 * array is `planes` contiguous row-major planes (x, gx, ggx: h x w; pooled ones: oh x ow).
 * Window i of an axis starts at i * stride - pad; max, sum and the gradients see its part
 * inside the plane; the averages divide by that part's size (exc_pad) or by the window's
 * size inside the padded plane (inc_pad).  Each window is visited once, reading and writing
 * its elements in the same pass; planes are spread over threads above AG_POOL_PARALLEL_MIN
 * input elements (one plane per task keeps the windows of a plane on one core).
 *
 * The loops use only plain pointers and integers, so a CUDA renderer can map "one plane" or
 * "one window" to a thread block or a thread without changing the op descriptions.
 */
#ifndef ARIGNOTE_POOL_H
#define ARIGNOTE_POOL_H

/* A pass over the 50x20x28x28 maps of the paper's CNN takes ~0.1 ms on one core: a second
 * core saves at most 0.05 ms there, and a parallel region costs milliseconds when the other
 * core is busy (measured: 8 ms against 0.14 ms, 2 cores under load).  Only passes over more
 * elements than codegen/c.py's PARALLEL_THRESHOLD are split. */
#define AG_POOL_PARALLEL_MIN (1 << 20)

enum { AG_POOL_MAX = 0, AG_POOL_SUM = 1, AG_POOL_AVG_INC = 2, AG_POOL_AVG_EXC = 3 };

typedef struct {
    npy_intp planes, h, w, oh, ow;
    int wr, wc, sr, sc, pr, pc, mode;
} ag_pool_geom;

/* The part [*lo, *hi) of window i inside an axis of length n, and the length counted by
 * average_inc_pad (the window clipped to the padded axis). */
static inline npy_intp ag_pool_span(npy_intp i, int ws, int stride, int pad, npy_intp n,
                                    npy_intp *lo, npy_intp *hi) {
    const npy_intp start = i * stride - pad;
    const npy_intp end = start + ws;
    *lo = start > 0 ? start : 0;
    *hi = end < n ? end : n;
    return (end < n + pad ? end : n + pad) - start;
}

/* Whether the windows never overlap (stride >= window on both axes): each input element
 * then belongs to at most one window, so gradients are written, not accumulated. */
static inline int ag_pool_disjoint(const ag_pool_geom *g) {
    return g->sr >= g->wr && g->sc >= g->wc;
}

/* The larger of a and b, NaN if either is NaN (numpy's max propagates NaN). */
#define AG_POOL_MAX2(a, b) ((a) > (b) || (a) != (a) ? (a) : (b))
/* The larger of a and b when neither is NaN (a max instruction). */
#define AG_POOL_BIGGER(a, b) ((a) > (b) ? (a) : (b))

/* The common 2x2 window with stride 2 and no padding, on the windows inside the plane. */
static inline int ag_pool_is_2x2(const ag_pool_geom *g) {
    return g->wr == 2 && g->wc == 2 && g->sr == 2 && g->sc == 2 && g->pr == 0 && g->pc == 0;
}

/* The module is built at -O1 (compile time); at -O1 GCC turns the compare-and-select of
 * the gradients into branches that mispredict on every other element (1.6 ms against
 * 0.12 ms for the 50x20x28x28 backward pass).  The per-plane loops are therefore compiled
 * at -O2, as functions of their own: the attribute does not reach the bodies that OpenMP
 * outlines from a parallel loop, and GCC does not inline across optimisation levels. */
#if defined(__GNUC__) && !defined(__clang__)
#define AG_POOL_PLANE static __attribute__((noinline, optimize("O2")))
#else
#define AG_POOL_PLANE static
#endif

/* The planes of one pass, over threads when there are enough elements. */
#define AG_POOL_PLANES(g, body)                                                               \
    _Pragma("omp parallel for if((g)->planes * (g)->h * (g)->w > AG_POOL_PARALLEL_MIN)")      \
    for (npy_intp p = 0; p < (g)->planes; p++) body

#define AG_DEFINE_POOL(T)                                                                      \
    /* Whether any of x[0..n) is NaN or infinite (x * 0 is NaN exactly then): one              \
     * vectorised sum over a plane in cache. */                                                \
    AG_POOL_PLANE int ag_pool_has_nan_##T(const T *restrict x, npy_intp n) {                   \
        T probe = 0;                                                                           \
        _Pragma("omp simd reduction(+:probe)")                                                 \
        for (npy_intp i = 0; i < n; i++) probe += x[i] * 0;                                    \
        return probe != probe;                                                                 \
    }                                                                                          \
                                                                                               \
    /* One plane: out[w] = reduction of window w of x. */                                      \
    AG_POOL_PLANE void ag_pool_fwd_plane_##T(const T *restrict x, T *restrict out,             \
                                             const ag_pool_geom *g) {                          \
        const npy_intp h = g->h, w = g->w, oh = g->oh, ow = g->ow;                             \
        npy_intp full_r = 0, full_c = 0; /* windows done by the 2x2 path */                    \
        /* NaN must win a max as in numpy; the check that makes it win costs a branch          \
         * per element, so only planes holding a NaN (or an infinity) take it. */              \
        const int nan = g->mode == AG_POOL_MAX && ag_pool_has_nan_##T(x, h * w);               \
        if (ag_pool_is_2x2(g) && g->mode == AG_POOL_MAX && !nan) {                             \
            full_r = oh < h / 2 ? oh : h / 2;                                                  \
            full_c = ow < w / 2 ? ow : w / 2;                                                  \
            for (npy_intp i = 0; i < full_r; i++) {                                            \
                const T *r0 = x + 2 * i * w, *r1 = r0 + w;                                     \
                T *o = out + i * ow;                                                           \
                for (npy_intp j = 0; j < full_c; j++) {                                        \
                    const T a = AG_POOL_BIGGER(r0[2 * j], r0[2 * j + 1]);                      \
                    const T b = AG_POOL_BIGGER(r1[2 * j], r1[2 * j + 1]);                      \
                    o[j] = AG_POOL_BIGGER(a, b);                                               \
                }                                                                              \
            }                                                                                  \
        }                                                                                      \
        for (npy_intp i = 0; i < oh; i++) {                                                    \
            npy_intp r_lo, r_hi;                                                               \
            const npy_intp rn = ag_pool_span(i, g->wr, g->sr, g->pr, h, &r_lo, &r_hi);         \
            for (npy_intp j = (i < full_r ? full_c : 0); j < ow; j++) {                        \
                npy_intp c_lo, c_hi;                                                           \
                const npy_intp cn = ag_pool_span(j, g->wc, g->sc, g->pc, w, &c_lo, &c_hi);     \
                T acc;                                                                         \
                if (g->mode == AG_POOL_MAX) {                                                  \
                    acc = x[r_lo * w + c_lo];                                                  \
                    for (npy_intp r = r_lo; r < r_hi; r++)                                     \
                        for (npy_intp c = c_lo; c < c_hi; c++)                                 \
                            acc = nan ? AG_POOL_MAX2(acc, x[r * w + c])                        \
                                      : AG_POOL_BIGGER(acc, x[r * w + c]);                     \
                } else {                                                                       \
                    acc = 0;                                                                   \
                    for (npy_intp r = r_lo; r < r_hi; r++)                                     \
                        for (npy_intp c = c_lo; c < c_hi; c++) acc += x[r * w + c];            \
                    if (g->mode == AG_POOL_AVG_INC) acc /= (T)(rn * cn);                       \
                    else if (g->mode == AG_POOL_AVG_EXC)                                       \
                        acc /= (T)((r_hi - r_lo) * (c_hi - c_lo));                             \
                }                                                                              \
                out[i * ow + j] = acc;                                                         \
            }                                                                                  \
        }                                                                                      \
    }                                                                                          \
                                                                                               \
    /* One plane: gx[e] = sum of gz[w] over the windows w containing e with                    \
     * x[e] == maxout[w]. */                                                                   \
    AG_POOL_PLANE void ag_pool_max_grad_plane_##T(const T *restrict x, const T *restrict maxout,\
                                                  const T *restrict gz,                        \
                                                  T *restrict gx, const ag_pool_geom *g) {     \
        const npy_intp h = g->h, w = g->w, oh = g->oh, ow = g->ow;                             \
        if (ag_pool_is_2x2(g) && 2 * oh == h && 2 * ow == w) {                                 \
            /* every element in exactly one window: no zeroing pass */                         \
            for (npy_intp i = 0; i < oh; i++) {                                                \
                const T *r0 = x + 2 * i * w, *r1 = r0 + w;                                     \
                T *d0 = gx + 2 * i * w, *d1 = d0 + w;                                          \
                for (npy_intp j = 0; j < ow; j++) {                                            \
                    const T m = maxout[i * ow + j], v = gz[i * ow + j];                        \
                    d0[2 * j] = r0[2 * j] == m ? v : 0;                                        \
                    d0[2 * j + 1] = r0[2 * j + 1] == m ? v : 0;                                \
                    d1[2 * j] = r1[2 * j] == m ? v : 0;                                        \
                    d1[2 * j + 1] = r1[2 * j + 1] == m ? v : 0;                                \
                }                                                                              \
            }                                                                                  \
            return;                                                                            \
        }                                                                                      \
        const int disjoint = ag_pool_disjoint(g);                                              \
        memset(gx, 0, (size_t)(h * w) * sizeof(T));                                            \
        for (npy_intp i = 0; i < oh; i++) {                                                    \
            npy_intp r_lo, r_hi;                                                               \
            ag_pool_span(i, g->wr, g->sr, g->pr, h, &r_lo, &r_hi);                             \
            for (npy_intp j = 0; j < ow; j++) {                                                \
                npy_intp c_lo, c_hi;                                                           \
                ag_pool_span(j, g->wc, g->sc, g->pc, w, &c_lo, &c_hi);                         \
                const T m = maxout[i * ow + j], v = gz[i * ow + j];                            \
                for (npy_intp r = r_lo; r < r_hi; r++)                                         \
                    for (npy_intp c = c_lo; c < c_hi; c++) {                                   \
                        const T hit = x[r * w + c] == m ? v : 0;                               \
                        gx[r * w + c] = disjoint ? hit : gx[r * w + c] + hit;                  \
                    }                                                                          \
            }                                                                                  \
        }                                                                                      \
    }                                                                                          \
                                                                                               \
    /* One plane: ggz[w] = sum of ggx[e] over the elements e of window w with                  \
     * x[e] == maxout[w]. */                                                                   \
    AG_POOL_PLANE void ag_pool_max_gradgrad_plane_##T(const T *restrict x,                     \
                                                      const T *restrict maxout,             \
                                                      const T *restrict ggx, T *restrict ggz,  \
                                                      const ag_pool_geom *g) {                 \
        const npy_intp h = g->h, w = g->w, oh = g->oh, ow = g->ow;                             \
        for (npy_intp i = 0; i < oh; i++) {                                                    \
            npy_intp r_lo, r_hi;                                                               \
            ag_pool_span(i, g->wr, g->sr, g->pr, h, &r_lo, &r_hi);                             \
            for (npy_intp j = 0; j < ow; j++) {                                                \
                npy_intp c_lo, c_hi;                                                           \
                ag_pool_span(j, g->wc, g->sc, g->pc, w, &c_lo, &c_hi);                         \
                const T m = maxout[i * ow + j];                                                \
                T acc = 0;                                                                     \
                for (npy_intp r = r_lo; r < r_hi; r++)                                         \
                    for (npy_intp c = c_lo; c < c_hi; c++)                                     \
                        acc += x[r * w + c] == m ? ggx[r * w + c] : 0;                         \
                ggz[i * ow + j] = acc;                                                         \
            }                                                                                  \
        }                                                                                      \
    }                                                                                          \
                                                                                               \
    /* One plane: gx[e] = sum over the windows w containing e of gz[w] (divided by w's         \
     * divisor for the averages). */                                                           \
    AG_POOL_PLANE void ag_pool_avg_grad_plane_##T(const T *restrict gz, T *restrict gx,        \
                                                  const ag_pool_geom *g) {                     \
        const npy_intp h = g->h, w = g->w, oh = g->oh, ow = g->ow;                             \
        const int disjoint = ag_pool_disjoint(g);                                              \
        memset(gx, 0, (size_t)(h * w) * sizeof(T));                                            \
        for (npy_intp i = 0; i < oh; i++) {                                                    \
            npy_intp r_lo, r_hi;                                                               \
            const npy_intp rn = ag_pool_span(i, g->wr, g->sr, g->pr, h, &r_lo, &r_hi);         \
            for (npy_intp j = 0; j < ow; j++) {                                                \
                npy_intp c_lo, c_hi;                                                           \
                const npy_intp cn = ag_pool_span(j, g->wc, g->sc, g->pc, w, &c_lo, &c_hi);     \
                T v = gz[i * ow + j];                                                          \
                if (g->mode == AG_POOL_AVG_INC) v /= (T)(rn * cn);                             \
                else if (g->mode == AG_POOL_AVG_EXC) v /= (T)((r_hi - r_lo) * (c_hi - c_lo));  \
                for (npy_intp r = r_lo; r < r_hi; r++)                                         \
                    for (npy_intp c = c_lo; c < c_hi; c++)                                     \
                        gx[r * w + c] = disjoint ? v : gx[r * w + c] + v;                      \
            }                                                                                  \
        }                                                                                      \
    }                                                                                          \
                                                                                               \
    /* Whole passes: every plane, over threads above AG_POOL_PARALLEL_MIN elements. */         \
    static void ag_pool_fwd_##T(const T *x, T *out, const ag_pool_geom *g) {                   \
        const npy_intp in = g->h * g->w, pooled = g->oh * g->ow;                               \
        AG_POOL_PLANES(g, ag_pool_fwd_plane_##T(x + p * in, out + p * pooled, g);)             \
    }                                                                                          \
    static void ag_pool_max_grad_##T(const T *x, const T *maxout, const T *gz, T *gx,          \
                                     const ag_pool_geom *g) {                                  \
        const npy_intp in = g->h * g->w, pooled = g->oh * g->ow;                               \
        AG_POOL_PLANES(g, ag_pool_max_grad_plane_##T(x + p * in, maxout + p * pooled,          \
                                                     gz + p * pooled, gx + p * in, g);)        \
    }                                                                                          \
    static void ag_pool_max_gradgrad_##T(const T *x, const T *maxout, const T *ggx, T *ggz,    \
                                         const ag_pool_geom *g) {                              \
        const npy_intp in = g->h * g->w, pooled = g->oh * g->ow;                               \
        AG_POOL_PLANES(g, ag_pool_max_gradgrad_plane_##T(x + p * in, maxout + p * pooled,      \
                                                         ggx + p * in, ggz + p * pooled, g);)  \
    }                                                                                          \
    static void ag_pool_avg_grad_##T(const T *gz, T *gx, const ag_pool_geom *g) {              \
        const npy_intp in = g->h * g->w, pooled = g->oh * g->ow;                               \
        AG_POOL_PLANES(g, ag_pool_avg_grad_plane_##T(gz + p * pooled, gx + p * in, g);)        \
    }

AG_DEFINE_POOL(float)
AG_DEFINE_POOL(double)

#endif
