/* Random numbers for generated modules: the MRG31k3p generator (L'Ecuyer and Touzin, 2000),
 * the generator of Theano's MRG_RandomStreams, and sampling from categorical distributions
 * given uniform numbers.
 *
 * arignote/compiler/ops/random.py holds the numpy reference of the same computations; both
 * give the same bits (integer arithmetic, then one conversion and one multiplication).
 */
#ifndef ARIGNOTE_RANDOM_H
#define ARIGNOTE_RANDOM_H

#define AG_MRG_M1 2147483647LL
#define AG_MRG_M2 2147462579LL
/* 2^-31 and the largest float32 whose product with M1 stays below 1 (Theano's constants). */
#define AG_MRG_NORM_float64 0x1p-31
#define AG_MRG_NORM_float32 0x1.fffffep-32f

/* One step of a stream whose state is s = (x11, x12, x13, x21, x22, x23); returns the next
 * integer, in [1, M1]. Theano's int32 code relies on wrapping overflow; 64-bit arithmetic
 * gives the same values without it. */
static inline npy_int64 ag_mrg_next(npy_int64 *s) {
    npy_int64 y = ((s[1] & 511) << 22) + (s[1] >> 9) + ((s[2] & 16777215) << 7) + (s[2] >> 24);
    if (y >= AG_MRG_M1) y -= AG_MRG_M1;
    y += s[2];
    if (y >= AG_MRG_M1) y -= AG_MRG_M1;
    s[2] = s[1]; s[1] = s[0]; s[0] = y;
    npy_int64 a = ((s[3] & 65535) << 15) + 21069 * (s[3] >> 16);
    if (a >= AG_MRG_M2) a -= AG_MRG_M2;
    npy_int64 b = ((s[5] & 65535) << 15) + 21069 * (s[5] >> 16);
    if (b >= AG_MRG_M2) b -= AG_MRG_M2;
    b += s[5];
    if (b >= AG_MRG_M2) b -= AG_MRG_M2;
    b += a;
    if (b >= AG_MRG_M2) b -= AG_MRG_M2;
    s[5] = s[4]; s[4] = s[3]; s[3] = b;
    return s[0] <= s[3] ? s[0] - s[3] + AG_MRG_M1 : s[0] - s[3];
}

/* Fills out[0..n) with uniform numbers in (0, 1) from the `rows` streams of `state` (a
 * contiguous rows x 6 matrix, advanced in place): element i is the (i / rows)-th number of
 * stream i % rows, so the result does not depend on how the streams are split over threads. */
#define AG_DEFINE_MRG_UNIFORM(T)                                                              \
    static inline void ag_mrg_uniform_##T(npy_int32 *state, npy_intp rows, T *out,           \
                                          npy_intp n) {                                       \
        const npy_intp used = rows < n ? rows : n;                                            \
        _Pragma("omp parallel for if(n > (1 << 17))")                                         \
        for (npy_intp r = 0; r < used; r++) {                                                 \
            npy_int64 s[6];                                                                   \
            for (int k = 0; k < 6; k++) s[k] = state[r * 6 + k];                              \
            for (npy_intp i = r; i < n; i += rows)                                            \
                out[i] = (T)ag_mrg_next(s) * AG_MRG_NORM_##T;                                 \
            for (int k = 0; k < 6; k++) state[r * 6 + k] = (npy_int32)s[k];                   \
        }                                                                                     \
    }
AG_DEFINE_MRG_UNIFORM(float32)
AG_DEFINE_MRG_UNIFORM(float64)

/* Outcomes drawn from the categorical distributions in the rows of `p` (a p_rows x k matrix;
 * one row serves every r when p_rows is 1) by the uniform numbers of `u` (n x rows): out[c *
 * rows + r] is the first m whose cumulative probability exceeds u[c][r] (Theano's
 * MultinomialFromUniform). Without replacement the probabilities left are summed first and
 * u scaled by their total, and the outcome drawn gets probability 0. Rounding can leave no
 * cumulative sum above the target: the last outcome of positive probability is taken then.
 * `work` holds k doubles. Returns 0, or the failing row plus one with *why set: 1 for a
 * negative or NaN probability, 2 when no outcome of positive probability is left. */
#define AG_DEFINE_CATEGORICAL(PT, UT)                                                         \
    static inline npy_intp ag_categorical_##PT##_##UT(                                        \
        const char *p, npy_intp p_rows, npy_intp k, npy_intp ps0, npy_intp ps1,               \
        const char *u, npy_intp n, npy_intp rows, npy_intp us0, npy_intp us1,                 \
        npy_int64 *out, int replace, double *work, int *why) {                                \
        for (npy_intp r = 0; r < rows; r++) {                                                 \
            const char *row = p + (p_rows == 1 ? 0 : r) * ps0;                                \
            npy_intp last = -1;                                                               \
            for (npy_intp m = 0; m < k; m++) {                                                \
                const double q = (double)*(const PT *)(row + m * ps1);                        \
                if (!(q >= 0)) { *why = 1; return r + 1; }                                    \
                work[m] = q;                                                                  \
                if (q > 0) last = m;                                                          \
            }                                                                                 \
            for (npy_intp c = 0; c < n; c++) {                                                \
                double target = (double)*(const UT *)(u + c * us0 + r * us1);                 \
                if (!replace) {                                                               \
                    double total = 0;                                                         \
                    last = -1;                                                                \
                    for (npy_intp m = 0; m < k; m++) {                                        \
                        total += work[m];                                                     \
                        if (work[m] > 0) last = m;                                            \
                    }                                                                         \
                    target *= total;                                                          \
                }                                                                             \
                if (last < 0) { *why = 2; return r + 1; }                                     \
                npy_intp pick = last;                                                         \
                double cumulative = 0;                                                        \
                for (npy_intp m = 0; m < k; m++) {                                            \
                    cumulative += work[m];                                                    \
                    if (cumulative > target) { pick = m; break; }                             \
                }                                                                             \
                out[c * rows + r] = pick;                                                     \
                if (!replace) work[pick] = 0;                                                 \
            }                                                                                 \
        }                                                                                     \
        return 0;                                                                             \
    }
AG_DEFINE_CATEGORICAL(float32, float32)
AG_DEFINE_CATEGORICAL(float32, float64)
AG_DEFINE_CATEGORICAL(float64, float32)
AG_DEFINE_CATEGORICAL(float64, float64)

/* Theano 1.0's MultinomialFromUniform and ChoiceFromUniform (ops/random.py,
 * ChoiceFromUniform): out[c * rows + r] is the first m whose cumulative probability, summed
 * in double, exceeds u[c][r], or -1 when there is none. Without replacement, after every draw
 * but the last, the row (a copy in `work`, k entries of PT) is renormalised in PT arithmetic as
 * Theano did: the sum of the entries before m (from the double cumulative), plus those after
 * it, divides every entry, and entry m becomes 0. */
#define AG_DEFINE_CHOICE(PT, UT)                                                              \
    static inline void ag_choice_##PT##_##UT(                                                 \
        const char *p, npy_intp k, npy_intp ps0, npy_intp ps1, const char *u, npy_intp n,     \
        npy_intp rows, npy_intp us0, npy_intp us1, npy_int64 *out, int replace, PT *work) {   \
        for (npy_intp r = 0; r < rows; r++) {                                                 \
            for (npy_intp m = 0; m < k; m++) work[m] = *(const PT *)(p + r * ps0 + m * ps1);  \
            for (npy_intp c = 0; c < n; c++) {                                                \
                const double target = (double)*(const UT *)(u + c * us0 + r * us1);           \
                double cumulative = 0;                                                        \
                npy_int64 pick = -1;                                                          \
                for (npy_intp m = 0; m < k; m++) {                                            \
                    cumulative += (double)work[m];                                            \
                    if (cumulative > target) {                                                \
                        pick = m;                                                             \
                        if (!replace && c != n - 1) {                                         \
                            PT total = (PT)(cumulative - (double)work[m]);                    \
                            work[m] = 0;                                                      \
                            for (npy_intp j = m; j < k; j++) total = total + work[j];         \
                            for (npy_intp j = 0; j < k; j++) work[j] = work[j] / total;       \
                        }                                                                     \
                        break;                                                                \
                    }                                                                         \
                }                                                                             \
                out[c * rows + r] = pick;                                                     \
            }                                                                                 \
        }                                                                                     \
    }
AG_DEFINE_CHOICE(float, float)
AG_DEFINE_CHOICE(float, double)
AG_DEFINE_CHOICE(double, float)
AG_DEFINE_CHOICE(double, double)

#endif
