/* 2-d convolution kernels for generated modules: forward, gradient w.r.t. the images and
 * gradient w.r.t. the filters, as im2col + GEMM (OpenBLAS), for float and double.
 *
 * arignote/compiler/ops/conv.py holds the numpy reference of the same computations and
 * describes them; this file holds the loops.  Images are NCHW, filters OIHW (O output
 * channels, C / groups input channels, kh x kw), all buffers C-contiguous.  For one image
 * and one group, the column matrix `col` has K = (C / groups) * kh * kw rows and
 * P = out_h * out_w columns: row (c, i, j), column (y, x) holds the padded image at
 * (c, y * stride_h + i' * dilation_h - pad_h, x * stride_w + j' * dilation_w - pad_w), with
 * i' = kh - 1 - i (and j' likewise) when the filters are flipped (a true convolution), so
 * the filters multiply `col` as they are stored.  Then, per image and group,
 *     forward:         y  (Og x P)  = W (Og x K) . col (K x P)
 *     input gradient:  dcol (K x P) = W^T . gy (Og x P), scattered back by col2im
 *     filter gradient: dW (Og x K) += gy . col^T
 * The (image, group) pairs are split across OpenMP threads, each with its own column buffer
 * (and, for the filter gradient, its own accumulator), each calling a single-threaded GEMM:
 * at these sizes one GEMM per image on each core beats one multithreaded GEMM per image.
 * Pairs are handed out dynamically: when another process takes a core, the other thread
 * does more.
 */
#ifndef ARIGNOTE_CONV_H
#define ARIGNOTE_CONV_H
#ifdef AG_HAVE_BLAS

/* The sizes of one call. */
typedef struct {
    npy_intp batch, channels, height, width;   /* images: N, C, H, W */
    npy_intp filters, kernel_h, kernel_w;      /* filters: O, (C / groups), kh, kw */
    npy_intp out_h, out_w;
    npy_intp pad_h, pad_w, stride_h, stride_w, dilation_h, dilation_w, groups;
    int flip;
} ag_conv_geometry;

enum { AG_CONV_EXPLICIT = 0, AG_CONV_FULL = 1, AG_CONV_HALF = 2 };

/* Fills `g` from the sizes of a call and computes the padding and the output size.
 * `border` is one of AG_CONV_*; pad_h and pad_w are used when it is AG_CONV_EXPLICIT. */
static inline void ag_conv_init(ag_conv_geometry *g, npy_intp batch, npy_intp channels,
                                npy_intp height, npy_intp width, npy_intp filters,
                                npy_intp kernel_h, npy_intp kernel_w, int border,
                                npy_intp pad_h, npy_intp pad_w, npy_intp stride_h,
                                npy_intp stride_w, npy_intp dilation_h, npy_intp dilation_w,
                                npy_intp groups, int flip) {
    g->batch = batch; g->channels = channels; g->height = height; g->width = width;
    g->filters = filters; g->kernel_h = kernel_h; g->kernel_w = kernel_w;
    g->stride_h = stride_h; g->stride_w = stride_w;
    g->dilation_h = dilation_h; g->dilation_w = dilation_w;
    g->groups = groups; g->flip = flip;
    const npy_intp span_h = (kernel_h - 1) * dilation_h + 1;
    const npy_intp span_w = (kernel_w - 1) * dilation_w + 1;
    if (border == AG_CONV_FULL) {
        g->pad_h = span_h - 1; g->pad_w = span_w - 1;
    } else if (border == AG_CONV_HALF) {
        g->pad_h = span_h / 2; g->pad_w = span_w / 2;
    } else {
        g->pad_h = pad_h; g->pad_w = pad_w;
    }
    /* Floor division of a possibly negative numerator (checked by ag_conv_check). */
    const npy_intp rows = height + 2 * g->pad_h - span_h;
    const npy_intp cols = width + 2 * g->pad_w - span_w;
    g->out_h = rows >= 0 ? rows / stride_h + 1 : 0;
    g->out_w = cols >= 0 ? cols / stride_w + 1 : 0;
}

/* Checks the sizes; returns 0, or -1 with a message in `message`.  `group_channels` is the
 * filters' second dimension; `out_h`/`out_w` >= 0 are the output gradient's spatial sizes,
 * which must equal what the forward convolution gives (-1: not checked). */
static inline int ag_conv_check(const ag_conv_geometry *g, npy_intp group_channels,
                                npy_intp out_h, npy_intp out_w, char *message, size_t size) {
    if (g->kernel_h < 1 || g->kernel_w < 1) {
        snprintf(message, size, "conv2d: the filters are empty (%ld x %ld)",
                 (long)g->kernel_h, (long)g->kernel_w);
        return -1;
    }
    if (g->channels != group_channels * g->groups) {
        snprintf(message, size, "conv2d: the input has %ld channels but the filters expect "
                 "%ld input channels x %ld group(s) = %ld", (long)g->channels,
                 (long)group_channels, (long)g->groups, (long)(group_channels * g->groups));
        return -1;
    }
    if (g->filters % g->groups) {
        snprintf(message, size, "conv2d: %ld filters cannot be split into %ld groups",
                 (long)g->filters, (long)g->groups);
        return -1;
    }
    const npy_intp span_h = (g->kernel_h - 1) * g->dilation_h + 1;
    const npy_intp span_w = (g->kernel_w - 1) * g->dilation_w + 1;
    if (g->height + 2 * g->pad_h < span_h || g->width + 2 * g->pad_w < span_w) {
        const int rows = g->height + 2 * g->pad_h < span_h;
        snprintf(message, size, "conv2d: the filter (%ld %s after dilation) is larger than the "
                 "padded image (%ld + 2 x %ld padding = %ld %s)",
                 (long)(rows ? span_h : span_w), rows ? "rows" : "columns",
                 (long)(rows ? g->height : g->width), (long)(rows ? g->pad_h : g->pad_w),
                 (long)(rows ? g->height + 2 * g->pad_h : g->width + 2 * g->pad_w),
                 rows ? "rows" : "columns");
        return -1;
    }
    /* The GEMM sizes are ints (the LP64 OpenBLAS interface). */
    const npy_intp rows = g->channels / g->groups * g->kernel_h * g->kernel_w;
    if (rows > INT_MAX || g->out_h * g->out_w > INT_MAX || g->filters > INT_MAX) {
        snprintf(message, size, "conv2d: a column matrix of %ld x %ld is too large for BLAS's "
                 "32-bit sizes", (long)rows, (long)(g->out_h * g->out_w));
        return -1;
    }
    if (out_h >= 0 && (out_h != g->out_h || out_w != g->out_w)) {
        snprintf(message, size, "conv2d gradient: the output gradient has spatial shape "
                 "(%ld, %ld) but an image of %ld x %ld convolved with %ld x %ld filters "
                 "gives (%ld, %ld)", (long)out_h, (long)out_w, (long)g->height,
                 (long)g->width, (long)g->kernel_h, (long)g->kernel_w, (long)g->out_h,
                 (long)g->out_w);
        return -1;
    }
    return 0;
}

/* K, the rows of one group's column matrix; and whether the image itself is that matrix
 * (1 x 1 filters, no stride, padding or dilation), so no copy is needed. */
static inline npy_intp ag_conv_rows(const ag_conv_geometry *g) {
    return g->channels / g->groups * g->kernel_h * g->kernel_w;
}

static inline int ag_conv_direct(const ag_conv_geometry *g) {
    return g->kernel_h == 1 && g->kernel_w == 1 && g->stride_h == 1 && g->stride_w == 1 &&
           g->pad_h == 0 && g->pad_w == 0;
}

/* The units of work split across threads are (image, group) pairs: no more threads than
 * units (one image with one group: a single thread, and OpenBLAS threads its GEMM). */
static inline int ag_conv_threads(const ag_conv_geometry *g) {
    const npy_intp units = g->batch * g->groups;
    int threads = omp_get_max_threads();
    if ((npy_intp)threads > units) threads = units > 0 ? (int)units : 1;
    return threads;
}

/* Elements of work space a call needs (`accumulate`: with the filter gradient's per-thread
 * accumulators), or SIZE_MAX when the count overflows. */
static inline size_t ag_conv_work_elements(const ag_conv_geometry *g, int accumulate) {
    size_t col = 0, acc = 0, per_thread, total;
    if (!ag_conv_direct(g) &&
        __builtin_mul_overflow((size_t)ag_conv_rows(g), (size_t)(g->out_h * g->out_w), &col))
        return SIZE_MAX;
    if (accumulate &&
        __builtin_mul_overflow((size_t)ag_conv_rows(g), (size_t)g->filters, &acc))
        return SIZE_MAX;
    if (__builtin_add_overflow(col, acc, &per_thread) ||
        __builtin_mul_overflow(per_thread, (size_t)ag_conv_threads(g), &total))
        return SIZE_MAX;
    return total;
}

/* Points `a` at a C-contiguous copy of itself in `slot` unless it is C-contiguous already. */
static inline int ag_conv_contiguous(ag_array *a, npy_intp itemsize, ag_slot *slot) {
    if (ag_is_contiguous(a, itemsize)) return 0;
    ag_array packed = *a;
    if (ag_alloc_in_slot(&packed, slot, itemsize) < 0) return -1;
    ag_copy(&packed, a, itemsize);
    *a = packed;
    return 0;
}

/* Before a parallel region whose threads each call GEMM: OpenBLAS (a pthreads build) must
 * not split those GEMMs over its own threads too, which would oversubscribe the cores.
 * Returns the thread count to restore afterwards (0: nothing changed). */
static inline int ag_conv_blas_serial(int threads) {
    if (threads < 2) return 0;
    const int previous = scipy_openblas_get_num_threads();
    if (previous > 1) scipy_openblas_set_num_threads(1);
    return previous > 1 ? previous : 0;
}

static inline void ag_conv_blas_restore(int previous) {
    if (previous > 1) scipy_openblas_set_num_threads(previous);
}

/* The row (i, j) of the kernel that column row (i, j) reads: flipped for a convolution. */
#define AG_CONV_TAP(g, i, j, ii, jj)                                                         \
    const npy_intp ii = (g)->flip ? (g)->kernel_h - 1 - (i) : (i);                           \
    const npy_intp jj = (g)->flip ? (g)->kernel_w - 1 - (j) : (j)

/* The output columns x with 0 <= x * stride + offset < width: [*lo, *hi). */
static inline void ag_conv_span(npy_intp offset, npy_intp stride, npy_intp width,
                                npy_intp outs, npy_intp *lo, npy_intp *hi) {
    npy_intp first = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
    npy_intp last = width - offset > 0 ? (width - offset + stride - 1) / stride : 0;
    *lo = first < outs ? first : outs;
    *hi = last < outs ? last : outs;
    if (*hi < *lo) *hi = *lo;
}

/* Generated modules build at -O1 (compile time); these loops are worth -O3. */
#pragma GCC push_options
#pragma GCC optimize("O3")

#define AG_CONV_DEFINE(T, P)                                                                 \
/* col (K x P) from one group's channels of one image (Cg x H x W). */                       \
static void ag_conv_im2col_##T(const ag_conv_geometry *g, const T *image, T *col) {          \
    const npy_intp cg = g->channels / g->groups, oh = g->out_h, ow = g->out_w;               \
    const npy_intp h = g->height, w = g->width, sw = g->stride_w;                            \
    for (npy_intp c = 0; c < cg; c++)                                                        \
        for (npy_intp i = 0; i < g->kernel_h; i++)                                           \
            for (npy_intp j = 0; j < g->kernel_w; j++) {                                     \
                AG_CONV_TAP(g, i, j, ii, jj);                                                \
                T *row = col + ((c * g->kernel_h + i) * g->kernel_w + j) * oh * ow;          \
                const npy_intp x0 = jj * g->dilation_w - g->pad_w;                           \
                npy_intp lo, hi;                                                             \
                ag_conv_span(x0, sw, w, ow, &lo, &hi);                                       \
                for (npy_intp y = 0; y < oh; y++) {                                          \
                    T *dst = row + y * ow;                                                   \
                    const npy_intp yy = y * g->stride_h + ii * g->dilation_h - g->pad_h;     \
                    if (yy < 0 || yy >= h) {                                                 \
                        memset(dst, 0, (size_t)ow * sizeof(T));                              \
                        continue;                                                            \
                    }                                                                        \
                    const T *src = image + (c * h + yy) * w + x0;                            \
                    for (npy_intp x = 0; x < lo; x++) dst[x] = 0;                            \
                    /* Rows are short (10 to 30 entries): a vector loop, not memcpy. */      \
                    if (sw == 1) {                                                           \
                        _Pragma("omp simd")                                                  \
                        for (npy_intp x = lo; x < hi; x++) dst[x] = src[x];                  \
                    } else {                                                                 \
                        for (npy_intp x = lo; x < hi; x++) dst[x] = src[x * sw];             \
                    }                                                                        \
                    for (npy_intp x = hi; x < ow; x++) dst[x] = 0;                           \
                }                                                                            \
            }                                                                                \
}                                                                                            \
                                                                                             \
/* Adds col (K x P) back into one group's channels of one image (the adjoint of im2col). */ \
static void ag_conv_col2im_##T(const ag_conv_geometry *g, const T *col, T *image) {          \
    const npy_intp cg = g->channels / g->groups, oh = g->out_h, ow = g->out_w;               \
    const npy_intp h = g->height, w = g->width, sw = g->stride_w;                            \
    for (npy_intp c = 0; c < cg; c++)                                                        \
        for (npy_intp i = 0; i < g->kernel_h; i++)                                           \
            for (npy_intp j = 0; j < g->kernel_w; j++) {                                     \
                AG_CONV_TAP(g, i, j, ii, jj);                                                \
                const T *row = col + ((c * g->kernel_h + i) * g->kernel_w + j) * oh * ow;    \
                const npy_intp x0 = jj * g->dilation_w - g->pad_w;                           \
                npy_intp lo, hi;                                                             \
                ag_conv_span(x0, sw, w, ow, &lo, &hi);                                       \
                for (npy_intp y = 0; y < oh; y++) {                                          \
                    const npy_intp yy = y * g->stride_h + ii * g->dilation_h - g->pad_h;     \
                    if (yy < 0 || yy >= h) continue;                                         \
                    const T *src = row + y * ow;                                             \
                    T *dst = image + (c * h + yy) * w + x0;                                  \
                    if (sw == 1) {                                                           \
                        _Pragma("omp simd")                                                  \
                        for (npy_intp x = lo; x < hi; x++) dst[x] += src[x];                 \
                    } else {                                                                 \
                        for (npy_intp x = lo; x < hi; x++) dst[x * sw] += src[x];            \
                    }                                                                        \
                }                                                                            \
            }                                                                                \
}                                                                                            \
                                                                                             \
/* y = conv(x, w): x (N, C, H, W), w (O, C / groups, kh, kw), y (N, O, out_h, out_w). */     \
static void ag_conv_forward_##T(const ag_conv_geometry *g, const T *x, const T *w, T *y,     \
                                T *work) {                                                   \
    const npy_intp k = ag_conv_rows(g), p = g->out_h * g->out_w;                             \
    const npy_intp og = g->filters / g->groups, cg = g->channels / g->groups;                \
    const npy_intp image = g->channels * g->height * g->width;                               \
    const int threads = ag_conv_threads(g), direct = ag_conv_direct(g);                      \
    const int previous = ag_conv_blas_serial(threads);                                       \
    _Pragma("omp parallel num_threads(threads) if(threads > 1)")                             \
    {                                                                                        \
        T *col = work + (size_t)omp_get_thread_num() * (size_t)(direct ? 0 : k * p);         \
        _Pragma("omp for schedule(dynamic)")                                                  \
        for (npy_intp unit = 0; unit < g->batch * g->groups; unit++) {                       \
            const npy_intp n = unit / g->groups, group = unit % g->groups;                   \
            const T *src = x + n * image + group * cg * g->height * g->width;                \
            if (!direct) ag_conv_im2col_##T(g, src, col);                                    \
            scipy_cblas_##P##gemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)og,        \
                                  (int)p, (int)k, 1, w + group * og * k, (int)k,             \
                                  direct ? src : col, (int)p, 0,                             \
                                  y + (n * g->filters + group * og) * p, (int)p);            \
        }                                                                                    \
    }                                                                                        \
    ag_conv_blas_restore(previous);                                                          \
}                                                                                            \
                                                                                             \
/* dx = the gradient of conv(x, w) w.r.t. x given gy = the gradient w.r.t. its output. */    \
static void ag_conv_grad_inputs_##T(const ag_conv_geometry *g, const T *w, const T *gy,      \
                                    T *dx, T *work) {                                        \
    const npy_intp k = ag_conv_rows(g), p = g->out_h * g->out_w;                             \
    const npy_intp og = g->filters / g->groups, cg = g->channels / g->groups;                \
    const npy_intp image = g->channels * g->height * g->width;                               \
    const int threads = ag_conv_threads(g), direct = ag_conv_direct(g);                      \
    const int previous = ag_conv_blas_serial(threads);                                       \
    _Pragma("omp parallel num_threads(threads) if(threads > 1)")                             \
    {                                                                                        \
        T *col = work + (size_t)omp_get_thread_num() * (size_t)(direct ? 0 : k * p);         \
        _Pragma("omp for schedule(dynamic)")                                                  \
        for (npy_intp unit = 0; unit < g->batch * g->groups; unit++) {                       \
            const npy_intp n = unit / g->groups, group = unit % g->groups;                   \
            const npy_intp slice = cg * g->height * g->width;                                \
            T *dst = dx + n * image + group * slice;                                         \
            if (!direct) memset(dst, 0, (size_t)slice * sizeof(T));                          \
            scipy_cblas_##P##gemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)k,           \
                                  (int)p, (int)og, 1, w + group * og * k, (int)k,            \
                                  gy + (n * g->filters + group * og) * p, (int)p, 0,         \
                                  direct ? dst : col, (int)p);                               \
            if (!direct) ag_conv_col2im_##T(g, col, dst);                                    \
        }                                                                                    \
    }                                                                                        \
    ag_conv_blas_restore(previous);                                                          \
}                                                                                            \
                                                                                             \
/* dw = the gradient of conv(x, w) w.r.t. w given gy: each thread sums its images into its  \
 * own accumulator (after its column buffer in `work`); the accumulators are added last. */  \
static void ag_conv_grad_weights_##T(const ag_conv_geometry *g, const T *x, const T *gy,     \
                                     T *dw, T *work) {                                       \
    const npy_intp k = ag_conv_rows(g), p = g->out_h * g->out_w;                             \
    const npy_intp og = g->filters / g->groups, cg = g->channels / g->groups;                \
    const npy_intp image = g->channels * g->height * g->width, total = g->filters * k;       \
    const int threads = ag_conv_threads(g), direct = ag_conv_direct(g);                      \
    const size_t stride = (size_t)(direct ? 0 : k * p) + (size_t)total;                      \
    const int previous = ag_conv_blas_serial(threads);                                       \
    _Pragma("omp parallel num_threads(threads) if(threads > 1)")                             \
    {                                                                                        \
        T *col = work + (size_t)omp_get_thread_num() * stride;                               \
        T *acc = col + (direct ? 0 : k * p);                                                 \
        memset(acc, 0, (size_t)total * sizeof(T));                                           \
        _Pragma("omp for schedule(dynamic)")                                                  \
        for (npy_intp unit = 0; unit < g->batch * g->groups; unit++) {                       \
            const npy_intp n = unit / g->groups, group = unit % g->groups;                   \
            const T *src = x + n * image + group * cg * g->height * g->width;                \
            if (!direct) ag_conv_im2col_##T(g, src, col);                                    \
            scipy_cblas_##P##gemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)og,          \
                                  (int)k, (int)p, 1,                                         \
                                  gy + (n * g->filters + group * og) * p, (int)p,            \
                                  direct ? src : col, (int)p, 1, acc + group * og * k,       \
                                  (int)k);                                                   \
        }                                                                                    \
        /* The implicit barrier of the loop above: every accumulator is complete. */          \
        const int team = omp_get_num_threads();                                              \
        _Pragma("omp for schedule(static)")                                                  \
        for (npy_intp e = 0; e < total; e++) {                                               \
            T sum = 0;                                                                       \
            for (int t = 0; t < team; t++) sum += work[(size_t)t * stride +                  \
                                                       (direct ? 0 : k * p) + e];           \
            dw[e] = sum;                                                                     \
        }                                                                                    \
    }                                                                                        \
    ag_conv_blas_restore(previous);                                                          \
}

AG_CONV_DEFINE(float, s)
AG_CONV_DEFINE(double, d)

#pragma GCC pop_options

#endif
#endif
