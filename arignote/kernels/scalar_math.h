/* Scalar functions that scalar ops call from their C expressions and libm lacks.
 *
 * Each matches the numpy or scipy.special function that the op's `impl` uses:
 *   arignote_floordiv(a, b)     numpy.floor_divide on floats (numpy's npy_divmod steps)
 *   arignote_ipow(base, exp)    integer power, wrapping around; a negative exponent gives
 *                               0, except 1 for a base of 1 and +-1 for a base of -1
 *   arignote_psi(x)             scipy.special.psi (digamma)
 *   arignote_polygamma(n, x)    scipy.special.polygamma: (-1)^(n+1) n! zeta(n + 1, x)
 *   arignote_erfinv(y)          scipy.special.erfinv
 *   arignote_erfcinv(c)         scipy.special.erfcinv
 * float versions end in `f` and compute in double, as scipy's float32 loops do.  Poles and
 * values outside the domain give the infinities and NaNs that scipy gives.
 *
 * Needs the dtype typedefs (int64, uint64) of runtime.h, which includes this file after them.
 */
#ifndef ARIGNOTE_SCALAR_MATH_H
#define ARIGNOTE_SCALAR_MATH_H

/* Host and device functions when compiled by nvcc, plain static inline C otherwise. */
#ifdef __CUDACC__
#define AG_MATH static inline __host__ __device__
#else
#define AG_MATH static inline
#endif

#ifdef __CUDACC_RTC__
/* NVRTC has no system headers: the math functions are built in, the constants are not. */
#define DBL_EPSILON 2.2204460492503131e-16
#define FLT_EPSILON 1.1920928955078125e-07F
#define INFINITY __int_as_float(0x7f800000)
#define NAN __int_as_float(0x7fffffff)
#else
#include <float.h>
#include <math.h>
#endif

#ifdef __CUDACC__
/* Scalar ops write fmax(x, 0) and copysign(0, y): C converts the int, CUDA's float and
 * double overloads make the call ambiguous; these exact matches resolve it. */
static inline __device__ double fmax(double a, int b) { return fmax(a, (double)b); }
static inline __device__ double fmin(double a, int b) { return fmin(a, (double)b); }
static inline __device__ double copysign(int a, double b) { return copysign((double)a, b); }
static inline __device__ double copysign(double a, int b) { return copysign(a, (double)b); }
/* C converts an integer argument of a double function to double; CUDA finds the float and
 * double overloads equally good.  Integer overloads make the C meaning exact. */
#define AG_INT_OVERLOADS(F)                                                                   \
    static inline __device__ double F(signed char a) { return F((double)a); }                \
    static inline __device__ double F(unsigned char a) { return F((double)a); }              \
    static inline __device__ double F(short a) { return F((double)a); }                      \
    static inline __device__ double F(unsigned short a) { return F((double)a); }             \
    static inline __device__ double F(int a) { return F((double)a); }                        \
    static inline __device__ double F(unsigned int a) { return F((double)a); }               \
    static inline __device__ double F(long long a) { return F((double)a); }                  \
    static inline __device__ double F(unsigned long long a) { return F((double)a); }
AG_INT_OVERLOADS(floor) AG_INT_OVERLOADS(ceil) AG_INT_OVERLOADS(trunc) AG_INT_OVERLOADS(rint)
AG_INT_OVERLOADS(round) AG_INT_OVERLOADS(sqrt) AG_INT_OVERLOADS(exp) AG_INT_OVERLOADS(exp2)
AG_INT_OVERLOADS(expm1) AG_INT_OVERLOADS(log) AG_INT_OVERLOADS(log2) AG_INT_OVERLOADS(log10)
AG_INT_OVERLOADS(log1p) AG_INT_OVERLOADS(sin) AG_INT_OVERLOADS(cos) AG_INT_OVERLOADS(tan)
AG_INT_OVERLOADS(asin) AG_INT_OVERLOADS(acos) AG_INT_OVERLOADS(atan) AG_INT_OVERLOADS(sinh)
AG_INT_OVERLOADS(cosh) AG_INT_OVERLOADS(tanh) AG_INT_OVERLOADS(asinh) AG_INT_OVERLOADS(acosh)
AG_INT_OVERLOADS(atanh) AG_INT_OVERLOADS(erf) AG_INT_OVERLOADS(erfc) AG_INT_OVERLOADS(lgamma)
AG_INT_OVERLOADS(tgamma) AG_INT_OVERLOADS(cbrt) AG_INT_OVERLOADS(fabs)
#undef AG_INT_OVERLOADS
#endif

#define AG_PI 3.14159265358979323846
#define AG_SQRT_PI_2 0.88622692545275801365         /* sqrt(pi) / 2 */
#define AG_LOG_SQRT_PI 0.57236494292470008707       /* log(sqrt(pi)) */
#define AG_TWO_OVER_SQRT_PI 1.12837916709551257390  /* 2 / sqrt(pi) */
#define AG_SQRT1_2 0.70710678118654752440           /* sqrt(1 / 2) */
#define AG_LN2 0.69314718055994530942

/* ------------------------------------------------------------------ floor division */
AG_MATH double arignote_floordiv(double a, double b) {
    if (b == 0.0) return a / b;
    double mod = fmod(a, b);
    /* a - mod is very nearly an integer multiple of b */
    double div = (a - mod) / b;
    if (mod != 0.0 && ((b < 0.0) != (mod < 0.0))) div -= 1.0;
    if (div == 0.0) return copysign(0.0, a / b);
    double floordiv = floor(div);
    if (div - floordiv > 0.5) floordiv += 1.0;
    return floordiv;
}

AG_MATH float arignote_floordivf(float a, float b) {
    if (b == 0.0f) return a / b;
    float mod = fmodf(a, b);
    float div = (a - mod) / b;
    if (mod != 0.0f && ((b < 0.0f) != (mod < 0.0f))) div -= 1.0f;
    if (div == 0.0f) return copysignf(0.0f, a / b);
    float floordiv = floorf(div);
    if (div - floordiv > 0.5f) floordiv += 1.0f;
    return floordiv;
}

/* ------------------------------------------------------------------ integer power */
AG_MATH int64 arignote_ipow(int64 base, int64 exp) {
    if (exp < 0) {
        if (base == 1) return 1;
        if (base == -1) return (exp & 1) ? -1 : 1;
        return 0;
    }
    /* unsigned arithmetic wraps around without undefined behaviour */
    uint64 result = 1, factor = (uint64)base, e = (uint64)exp;
    while (e) {
        if (e & 1) result *= factor;
        factor *= factor;
        e >>= 1;
    }
    return (int64)result;
}

/* ------------------------------------------------------------------ digamma */
/* The positive zero of psi and the one in (-1, 0), each as a sum of two doubles. */
#define AG_PSI_ROOT_HI 1.4616321449683622
#define AG_PSI_ROOT_LO 9.549995429965697e-17
#define AG_PSI_NEGROOT_HI -0.5040830082644554
#define AG_PSI_NEGROOT_LO -8.15428206243813e-18

/* psi(root + t) = sum of c[k-1] t^k, with c[k-1] = (-1)^(k+1) zeta(k + 1, root) (Taylor series
 * about a zero of psi; near it, recurrence or reflection would cancel to a small difference). */
AG_MATH double ag_psi_root_series(double t, const double *c, int terms) {
    double sum = c[terms - 1];
    for (int k = terms - 2; k >= 0; k--) sum = sum * t + c[k];
    return sum * t;
}

AG_MATH double arignote_psi(double x) {
    static const double positive_root[22] = {
        0.96767224544762117,     -0.44276316898359211,    0.25849976095565101,
        -0.16394270544240653,    0.10782405069126237,     -0.072199561256454711,
        0.048804288164143107,    -0.033161126474847359,   0.022597648232218105,
        -0.015424765904948959,   0.010538791616612175,    -0.0072045343863568682,
        0.0049267813957298534,   -0.0033698016554393281,  0.0023051263267349278,
        -0.0015769367714301973,  0.0010788252019162966,   -0.00073807093899600513,
        0.00050495326583460204,  -0.0003454680251063077,  0.00023635601564027053,
        -0.00016170622091974803,
    };
    static const double negative_root[24] = {
        8.9397985587921345,  -0.8093454625306507,  32.258572064915506,  -2.7610116487908281,
        128.27342343090902,  -14.706721735530361,  513.27046295628617,  -75.377000663446311,
        2055.5357119463316,  -368.57835038321913,  8234.6670992030685,  -1743.3646088673628,
        32997.785655255047,  -8051.8181553634975,  132262.95480834589,  -36529.945969485646,
        530280.39124201761,  -163451.79342700254,  2126602.3725968751,  -723318.88618043054,
        8530604.8785439827,  -3172131.3155744763,  34228316.695801118,  -13807481.997263888,
    };
    if (isnan(x) || x == INFINITY) return x;
    if (x == 0.0) return copysign(INFINITY, -x);
    /* x - root is exact here (Sterbenz); the low part of the root then comes off */
    if (fabs(x - AG_PSI_NEGROOT_HI) < 0.1)
        return ag_psi_root_series((x - AG_PSI_NEGROOT_HI) - AG_PSI_NEGROOT_LO, negative_root, 24);
    double result = 0.0;
    if (x < 0.0) {
        if (x == floor(x)) return NAN; /* the poles, and -inf */
        /* reflection: psi(x) = psi(1 - x) - pi cot(pi x); cot has period 1, and pi * r with
         * |r| <= 1/2 keeps tan accurate next to the poles */
        result = -AG_PI / tan(AG_PI * (x - round(x)));
        x = 1.0 - x;
    }
    if (fabs(x - AG_PSI_ROOT_HI) < 0.25)
        return result +
               ag_psi_root_series((x - AG_PSI_ROOT_HI) - AG_PSI_ROOT_LO, positive_root, 22);
    /* psi(x) = psi(x + 1) - 1/x up to x >= 10, then the asymptotic series
     * psi(x) ~ log(x) - 1/(2x) - sum of B_2k / (2k x^2k) */
    while (x < 10.0) {
        result -= 1.0 / x;
        x += 1.0;
    }
    double z = 1.0 / (x * x);
    double series =
        z * (1.0 / 12 -
             z * (1.0 / 120 -
                  z * (1.0 / 252 -
                       z * (1.0 / 240 - z * (1.0 / 132 - z * (691.0 / 32760 - z / 12))))));
    return result + (log(x) - 0.5 / x - series);
}

AG_MATH float arignote_psif(float x) {
    return (float)arignote_psi(x);
}

/* ------------------------------------------------------------------ polygamma */
/* Hurwitz zeta(s, q) = sum over k >= 0 of (q + k)^-s, for s > 1 and q > 0: terms summed up
 * to q + k >= max(9, s / 2), the rest by the Euler-Maclaurin formula. */
AG_MATH double ag_hurwitz_zeta(double s, double q) {
    static const double bernoulli[12] = {
        /* B_2j / (2j)! */
        0.083333333333333333,    -0.0013888888888888889,   3.3068783068783069e-5,
        -8.2671957671957672e-7,  2.0876756987868099e-8,    -5.2841901386874932e-10,
        1.3382536530684679e-11,  -3.3896802963225829e-13,  8.5860620562778446e-15,
        -2.1748686985580619e-16, 5.5090028283602295e-18,   -1.3954464685812523e-19,
    };
    /* far out the first two terms of the asymptotic expansion are exact to rounding */
    if (q > 1e8 * s) return (1.0 / (s - 1.0) + 0.5 / q) * pow(q, 1.0 - s);
    double a = q, term = pow(q, -s), sum = term;
    int i = 0;
    while (i < 9 || a <= fmax(9.0, 0.5 * s)) {
        i++;
        a += 1.0;
        term = pow(a, -s);
        sum += term;
        if (fabs(term) <= 0.5 * DBL_EPSILON * sum) return sum;
    }
    /* the terms from a on: the integral, minus half the last term (counted in full above),
     * plus the corrections B_2j / (2j)! s (s+1) ... (s+2j-2) a^(-s-2j+1) */
    sum += term * a / (s - 1.0) - 0.5 * term;
    double rising = s, power = term / a;
    for (int j = 0; j < 12; j++) {
        double correction = bernoulli[j] * rising * power;
        sum += correction;
        if (fabs(correction) <= 0.5 * DBL_EPSILON * fabs(sum)) break;
        rising *= (s + 2 * j + 1) * (s + 2 * j + 2);
        power /= a * a;
    }
    return sum;
}

/* The highest order reflected below (the polynomial has n + 2 coefficients); beyond it n!
 * overflows, and only the sign of zeta matters. */
#define AG_POLYGAMMA_MAX_REFLECTED 170

/* zeta(n + 1, x) for x < 0 not an integer, by reflection:
 * zeta(n + 1, x) = (-1)^n [zeta(n + 1, 1 - x) + pi^(n+1) Q_n(cot(pi x))], where
 * Q_n(cot u) = (d/du)^n cot(u) / n!, so Q_0(c) = c and Q_(k+1)(c) = -(1 + c^2) Q_k'(c) / (k+1).
 * All coefficients of Q_n have one sign and Q_n is even or odd: evaluated at |c|, no
 * cancellation. */
AG_MATH double ag_hurwitz_zeta_reflected(int n, double x) {
    double q[AG_POLYGAMMA_MAX_REFLECTED + 2] = {0.0, 1.0};
    int degree = 1;
    for (int k = 0; k < n; k++) {
        double below = 0.0; /* the old coefficient of c^(m-1) */
        for (int m = 0; m <= degree + 1; m++) {
            double here = m <= degree ? q[m] : 0.0;
            double above = m + 1 <= degree ? q[m + 1] : 0.0;
            q[m] = -((m + 1) * above + (m - 1) * below) / (k + 1);
            below = here;
        }
        degree++;
    }
    double c = 1.0 / tan(AG_PI * (x - round(x)));
    double ac = fabs(c), poly = q[degree]; /* c is infinite just next to a pole */
    for (int m = degree - 1; m >= 0; m--) poly = poly * ac + q[m];
    if (degree % 2 == 1 && c < 0.0) poly = -poly;
    double zeta = ag_hurwitz_zeta(n + 1.0, 1.0 - x) + pow(AG_PI, n + 1.0) * poly;
    return n % 2 == 0 ? zeta : -zeta;
}

AG_MATH double arignote_polygamma(int n, double x) {
    if (n == 0) return arignote_psi(x);
    if (isnan(x)) return x;
    if (n < 0) return NAN;
    double factorial = 1.0; /* n!, inf from 171 on as scipy's gamma(n + 1) */
    for (int k = 2; k <= n && k <= 171; k++) factorial *= k;
    double zeta;
    if (x > 0.0) {
        zeta = ag_hurwitz_zeta(n + 1.0, x);
    } else if (x == floor(x)) {
        zeta = INFINITY; /* the poles, -0 and -inf included, as scipy */
    } else if (n > AG_POLYGAMMA_MAX_REFLECTED) {
        /* n! is infinite: only the sign of zeta(n + 1, x) matters.  All terms are positive
         * for even n + 1; for odd n + 1 the pole nearer to x decides (x - floor(x) above
         * one, 1 - that below the next; at a tie the pairs cancel and positive terms remain) */
        zeta = (n % 2 == 1 || x - floor(x) <= 0.5) ? 1.0 : -1.0;
    } else {
        zeta = ag_hurwitz_zeta_reflected(n, x);
    }
    return (n % 2 == 1 ? factorial : -factorial) * zeta;
}

AG_MATH float arignote_polygammaf(int n, float x) {
    return (float)arignote_polygamma(n, x);
}

/* ------------------------------------------------------------------ inverse error functions */
/* Wichura's AS241 rational approximations to the standard normal quantile, accurate to about
 * 1e-16; one Newton step on erf or erfc then corrects the last bits. */

/* The quantile of p = 1/2 + h for |h| <= 0.425. */
AG_MATH double ag_ndtri_central(double h) {
    double r = 0.180625 - h * h;
    return h *
           (((((((2509.0809287301226727 * r + 33430.575583588128105) * r +
                 67265.770927008700853) * r + 45921.953931549871457) * r +
               13731.693765509461125) * r + 1971.5909503065514427) * r +
             133.14166789178437745) * r + 3.387132872796366608) /
           (((((((5226.495278852545925 * r + 28729.085735721942674) * r +
                 39307.89580009271061) * r + 21213.794301586595867) * r +
               5394.1960214247511077) * r + 687.1870074920579083) * r +
             42.313330701600911252) * r + 1.0);
}

/* Minus the quantile of p < 0.075, given r = sqrt(-log(p)). */
AG_MATH double ag_ndtri_tail(double r) {
    if (r <= 5.0) {
        r -= 1.6;
        return (((((((7.7454501427834140764e-4 * r + 0.0227238449892691845833) * r +
                     0.24178072517745061177) * r + 1.27045825245236838258) * r +
                   3.64784832476320460504) * r + 5.7694972214606914055) * r +
                 4.6303378461565452959) * r + 1.42343711074968357734) /
               (((((((1.05075007164441684324e-9 * r + 5.475938084995344946e-4) * r +
                     0.0151986665636164571966) * r + 0.14810397642748007459) * r +
                   0.68976733498510000455) * r + 1.6763848301838038494) * r +
                 2.05319162663775882187) * r + 1.0);
    }
    r -= 5.0;
    return (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r +
                 0.0012426609473880784386) * r + 0.026532189526576123093) * r +
               0.29656057182850489123) * r + 1.7848265399172913358) * r +
             5.4637849111641143699) * r + 6.6579046435011037772) /
           (((((((2.04426310338993978564e-15 * r + 1.4215117583164458887e-7) * r +
                 1.8463183175100546818e-5) * r + 7.868691311456132591e-4) * r +
               0.0148753612908506148525) * r + 0.13692988092273580531) * r +
             0.59983220655588793769) * r + 1.0);
}

/* erfcinv(c) for 0 < c <= 0.15: erfcinv(c) = -ndtri(c / 2) / sqrt(2). */
AG_MATH double ag_erfcinv_small(double c) {
    double x = ag_ndtri_tail(sqrt(AG_LN2 - log(c))) * AG_SQRT1_2;
    if (x < 26.0) return x + (erfc(x) - c) / (AG_TWO_OVER_SQRT_PI * exp(-x * x));
    /* erfc(x) and exp(-x^2) leave the normal range: the Newton step works on log erfc(x) =
     * -x^2 - log(x sqrt(pi)) + log(1 + sum of (-1)^k (2k-1)!! / (2x^2)^k), whose derivative
     * is -2x / (that last sum) */
    double w = 0.5 / (x * x), term = 1.0, series = 1.0;
    for (int k = 1; k <= 8; k++) {
        term *= -(2 * k - 1) * w;
        series += term;
    }
    double log_erfc = -x * x - log(x) - AG_LOG_SQRT_PI + log(series);
    return x + (log_erfc - log(c)) * series / (2.0 * x);
}

AG_MATH double arignote_erfinv(double y) {
    double ay = fabs(y);
    if (isnan(y)) return y;
    if (ay > 1.0) return NAN;
    if (ay == 1.0) return copysign(INFINITY, y);
    /* erfinv(y) = sqrt(pi)/2 y (1 + pi/12 y^2 + ...): the correction is below rounding */
    if (ay < 3.7252902984619140625e-9) return AG_SQRT_PI_2 * y; /* 2^-28 */
    if (ay <= 0.85) {
        double x = ag_ndtri_central(0.5 * y) * AG_SQRT1_2;
        return x - (erf(x) - y) / (AG_TWO_OVER_SQRT_PI * exp(-x * x));
    }
    return copysign(ag_erfcinv_small(1.0 - ay), y); /* 1 - |y| is exact */
}

AG_MATH float arignote_erfinvf(float y) {
    return (float)arignote_erfinv(y);
}

AG_MATH double arignote_erfcinv(double c) {
    if (isnan(c)) return c;
    if (c < 0.0 || c > 2.0) return NAN;
    if (c == 0.0) return INFINITY;
    if (c == 2.0) return -INFINITY;
    if (c <= 0.15) return ag_erfcinv_small(c);
    if (c >= 1.85) return -ag_erfcinv_small(2.0 - c); /* 2 - c is exact */
    if (c == 1.0) return -0.0;                        /* scipy's sign */
    double x = ag_ndtri_central(0.5 * (1.0 - c)) * AG_SQRT1_2;
    return x + (erfc(x) - c) / (AG_TWO_OVER_SQRT_PI * exp(-x * x));
}

AG_MATH float arignote_erfcinvf(float c) {
    return (float)arignote_erfcinv(c);
}

#endif /* ARIGNOTE_SCALAR_MATH_H */
