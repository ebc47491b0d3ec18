/* tests/test_spectrum.c - core/spectrum against docs/math.md §11 E1 (RankMe,
 * centred covariance spectrum, alpha-ReQ on three windows, the ReLU L=3 NNGP
 * Gram of C1), two routes to the same numbers (SVD of Z against eigenvalues
 * of Z^T Z), and the error paths.
 * Tolerances: E1 values are printed to 10 significant digits, so 1e-9
 * relative; a pure power law is fitted exactly up to rounding (1e-12);
 * singular values from dgesdd against sqrt of dsyevd eigenvalues of Z^T Z
 * differ by O(eps cond) ~ 1e-14 relative here, we allow 1e-10. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/spectrum/spectrum.h"
#include "harness.h"

/* docs/math.md §11 E1: Z[i][j] = cos(0.9 i (j+1) + 0.3 j) + 0.05 i, 8 x 5. */
static void
make_z(double Z[40])
{
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 5; j++)
            Z[i * 5 + j] = cos(0.9 * i * (j + 1) + 0.3 * j) + 0.05 * i;
}

static void
test_rankme(void)
{
    bl_err err;
    double r = 0;
    const double sv1[4] = {4, 2, 1, 0.5}, sv2[4] = {1, 1, 1, 1};
    CHECK(spectrum_rankme_sv(sv1, 4, &r, &err) == BL_OK, "%s", err.msg);
    CHECK_REL(r, 3.117142944, 1e-9);
    CHECK(spectrum_rankme_sv(sv2, 4, &r, &err) == BL_OK, "%s", err.msg);
    CHECK_REL(r, 4.000000618, 1e-9);
    /* RankMe depends on the proportions only, not on the order or scale. */
    const double sv3[4] = {0.5 * 7, 4 * 7, 1 * 7, 2 * 7};
    CHECK(spectrum_rankme_sv(sv3, 4, &r, &err) == BL_OK, "%s", err.msg);
    CHECK_REL(r, 3.117142944, 1e-9);
    /* PSD form: eigenvalues s^2 give the same number (docs/math.md §6 [C]). */
    const double lam1[4] = {16, 4, 1, 0.25};
    CHECK(spectrum_rankme_psd(lam1, 4, &r, &err) == BL_OK, "%s", err.msg);
    CHECK_REL(r, 3.117142944, 1e-9);
    /* A rounding negative counts as 0: one zero adds -eps log eps ~ 1.6e-6
     * of entropy (closed form below). */
    const double lam2[5] = {16, 4, 1, 0.25, -1e-17};
    double r0 = r;
    CHECK(spectrum_rankme_psd(lam2, 5, &r, &err) == BL_OK, "%s", err.msg);
    CHECK_REL(r, r0 * exp(-SPECTRUM_EPS * log(SPECTRUM_EPS)), 1e-12);
}

static void
test_z(void)
{
    bl_err err;
    double Z[40], s[5], r = 0;
    static const double s_ref[5] = {3.0675261657, 1.8845234874, 1.876344843, 1.8517260552,
                                    1.8390224391};
    make_z(Z);
    CHECK(spectrum_sv_desc(Z, 8, 5, false, s, &err) == BL_OK, "%s", err.msg);
    for (int k = 0; k < 5; k++)
        CHECK_REL(s[k], s_ref[k], 1e-9);
    CHECK(spectrum_rankme_sv(s, 5, &r, &err) == BL_OK, "%s", err.msg);
    CHECK_REL(r, 4.882162274, 1e-9);

    /* Second route: eigenvalues of Z^T Z, sqrt -> the same singular values. */
    double G[25], lam[5];
    for (int a = 0; a < 5; a++)
        for (int b = 0; b < 5; b++) {
            double t = 0;
            for (int i = 0; i < 8; i++)
                t += Z[i * 5 + a] * Z[i * 5 + b];
            G[a * 5 + b] = t;
        }
    double G0[25];
    memcpy(G0, G, sizeof G);
    CHECK(spectrum_eig_desc(G, 5, lam, &err) == BL_OK, "%s", err.msg);
    CHECK(memcmp(G, G0, sizeof G) == 0, "spectrum_eig_desc modified its input");
    for (int k = 0; k < 5; k++)
        CHECK_REL(sqrt(lam[k]), s[k], 1e-10);
    CHECK(spectrum_rankme_psd(lam, 5, &r, &err) == BL_OK, "%s", err.msg);
    CHECK_REL(r, 4.882162274, 1e-9);

    /* Transposed input (5 x 8) has the same singular values. */
    double Zt[40], st[5];
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 5; j++)
            Zt[j * 8 + i] = Z[i * 5 + j];
    CHECK(spectrum_sv_desc(Zt, 5, 8, false, st, &err) == BL_OK, "%s", err.msg);
    for (int k = 0; k < 5; k++)
        CHECK_REL(st[k], s_ref[k], 1e-9);

    /* Centred: covariance Zc^T Zc / (N - 1) eigenvalues, and the same from
     * the centred singular values, s_k^2 / (N - 1). */
    static const double c_ref[5] = {0.9435388233, 0.5073452744, 0.501358753, 0.4898398885,
                                    0.4707574263};
    double mean[5] = {0}, C[25];
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 5; j++)
            mean[j] += Z[i * 5 + j] / 8;
    for (int a = 0; a < 5; a++)
        for (int b = 0; b < 5; b++) {
            double t = 0;
            for (int i = 0; i < 8; i++)
                t += (Z[i * 5 + a] - mean[a]) * (Z[i * 5 + b] - mean[b]);
            C[a * 5 + b] = t / 7;
        }
    CHECK(spectrum_eig_desc(C, 5, lam, &err) == BL_OK, "%s", err.msg);
    for (int k = 0; k < 5; k++)
        CHECK_REL(lam[k], c_ref[k], 1e-9);
    CHECK(spectrum_rankme_psd(lam, 5, &r, &err) == BL_OK, "%s", err.msg);
    CHECK_REL(r, 4.952018398, 1e-9);
    CHECK(spectrum_sv_desc(Z, 8, 5, true, s, &err) == BL_OK, "%s", err.msg);
    for (int k = 0; k < 5; k++)
        CHECK_REL(s[k] * s[k] / 7, c_ref[k], 1e-9);
    CHECK(spectrum_rankme_sv(s, 5, &r, &err) == BL_OK, "%s", err.msg);
    CHECK_REL(r, 4.952018398, 1e-9);
}

static void
test_alpha(void)
{
    bl_err err;
    spectrum_fit f;
    double lam[50], lam2[50];
    for (int j = 1; j <= 50; j++) {
        lam[j - 1] = 3 * pow(j, -1.5);
        lam2[j - 1] = (1 + 0.3 * sin(j)) / j;
    }
    CHECK(spectrum_alpha_req(lam, 50, 0, 0, false, &f, &err) == BL_OK, "%s", err.msg);
    CHECK_REL(f.alpha, 1.5, 1e-12);
    CHECK_REL(f.log_c, log(3.0), 1e-12);
    CHECK(f.j_lo == 1 && f.j_hi == 50 && !f.weighted, "window %zu..%zu", f.j_lo, f.j_hi);
    /* A pure power law gives the same exponent on any window, weighted too. */
    CHECK(spectrum_alpha_req(lam, 50, 11, 45, true, &f, &err) == BL_OK, "%s", err.msg);
    CHECK_REL(f.alpha, 1.5, 1e-12);

    /* lam2 is not sorted. the reference computation (docs/math.md §11 E1) sorts it first; the API asks
     * the caller to (spectrum_eig_desc does) and rejects unsorted input. */
    double sorted[50];
    memcpy(sorted, lam2, sizeof sorted);
    for (int i = 1; i < 50; i++)
        for (int k = i; k > 0 && sorted[k] > sorted[k - 1]; k--) {
            double t = sorted[k];
            sorted[k] = sorted[k - 1];
            sorted[k - 1] = t;
        }
    CHECK(spectrum_alpha_req(lam2, 50, 0, 0, false, &f, &err) == BL_EINVAL,
          "unsorted input accepted");
    CHECK(strstr(err.msg, "not sorted") != NULL, "message: %s", err.msg);
    CHECK(isnan(f.alpha), "alpha after failure = %g", f.alpha);

    CHECK(spectrum_alpha_req(sorted, 50, 1, 0, false, &f, &err) == BL_OK, "%s", err.msg);
    CHECK_REL(f.alpha, 1.055278159, 1e-9);
    CHECK(spectrum_alpha_req(sorted, 50, 5, 40, false, &f, &err) == BL_OK, "%s", err.msg);
    CHECK_REL(f.alpha, 0.9995406925, 1e-9);
    CHECK(f.j_lo == 5 && f.j_hi == 40, "window %zu..%zu", f.j_lo, f.j_hi);
    CHECK(spectrum_alpha_req(sorted, 50, 0, 0, true, &f, &err) == BL_OK, "%s", err.msg);
    CHECK_REL(f.alpha, 1.075965395, 1e-9);
    CHECK(f.weighted, "weighted flag not reported");

    /* Default window stops at lambda_j <= 1e-10 lambda_1: 8 positive values
     * then a tail of zeros and rounding noise fit as the first 8 alone. */
    double tail[12];
    for (int j = 1; j <= 12; j++)
        tail[j - 1] = j <= 8 ? 2 * pow(j, -2.0) : (j == 9 ? 1e-12 : 0.0);
    CHECK(spectrum_alpha_req(tail, 12, 0, 0, false, &f, &err) == BL_OK, "%s", err.msg);
    CHECK(f.j_lo == 1 && f.j_hi == 8, "window %zu..%zu", f.j_lo, f.j_hi);
    CHECK_REL(f.alpha, 2.0, 1e-12);
}

static void
test_nngp(void)
{
    bl_err err;
    /* docs/math.md §11 C1, ReLU L=3 NNGP, upper triangle (11,12,13,22,23,33). */
    const double u[6] = {1.4, 1.1638133583, 1.2380287866, 1.4, 1.6042098576, 2.9};
    const double K[9] = {u[0], u[1], u[2], u[1], u[3], u[4], u[2], u[4], u[5]};
    const double ev_ref[3] = {4.7567372586, 0.7715567837, 0.1717059577};
    double ev[3], r = 0;
    CHECK(spectrum_eig_desc(K, 3, ev, &err) == BL_OK, "%s", err.msg);
    /* The C1 entries carry 10 digits; the eigenvalues move by less than that. */
    for (int k = 0; k < 3; k++)
        CHECK_REL(ev[k], ev_ref[k], 1e-9);
    CHECK(spectrum_rankme_psd(ev, 3, &r, &err) == BL_OK, "%s", err.msg);
    CHECK_REL(r, 2.443740002, 1e-9);
    CHECK(spectrum_erank_vn(ev, 3, &r, &err) == BL_OK, "%s", err.msg);
    CHECK_REL(r, 1.694132194, 1e-9);
    /* From the E1 eigenvalues directly, too. */
    CHECK(spectrum_rankme_psd(ev_ref, 3, &r, &err) == BL_OK, "%s", err.msg);
    CHECK_REL(r, 2.443740002, 1e-9);
    CHECK(spectrum_erank_vn(ev_ref, 3, &r, &err) == BL_OK, "%s", err.msg);
    CHECK_REL(r, 1.694132194, 1e-9);
}

static void
test_eig(void)
{
    bl_err err;
    /* Rank 1, v v^T: eigenvalues |v|^2 and five zeros; dsyevd returns the
     * zeros as +-1e-16 noise, which must come back as exactly 0. */
    const double v[6] = {0.3, -1.2, 0.7, 2.1, -0.4, 0.05};
    double A[36], lam[6], v2 = 0;
    for (int i = 0; i < 6; i++) {
        v2 += v[i] * v[i];
        for (int j = 0; j < 6; j++)
            A[i * 6 + j] = v[i] * v[j];
    }
    CHECK(spectrum_eig_desc(A, 6, lam, &err) == BL_OK, "%s", err.msg);
    CHECK_REL(lam[0], v2, 1e-13);
    int neg = 0;
    for (int k = 1; k < 6; k++)
        neg += lam[k] < 0;
    CHECK(neg == 0, "%d negative eigenvalues left in a PSD matrix", neg);
    for (int k = 1; k < 6; k++)
        CHECK_ABS(lam[k], 0.0, 1e-14 * v2);
    /* Indefinite: a real negative eigenvalue is kept, order descending. */
    const double B[9] = {1, 0, 0, 0, -2, 0, 0, 0, 0.5};
    CHECK(spectrum_eig_desc(B, 3, lam, &err) == BL_OK, "%s", err.msg);
    CHECK(lam[0] == 1 && lam[1] == 0.5 && lam[2] == -2, "eig = %g %g %g", lam[0], lam[1], lam[2]);
    /* Only the lower triangle is read. */
    const double Bl[9] = {1, NAN, NAN, 0, -2, NAN, 0, 0, 0.5};
    CHECK(spectrum_eig_desc(Bl, 3, lam, &err) == BL_OK, "%s", err.msg);
    CHECK(lam[0] == 1 && lam[2] == -2, "lower triangle: eig = %g %g %g", lam[0], lam[1], lam[2]);
}

static void
test_errors(void)
{
    bl_err err;
    double r = 0, lam[3];
    spectrum_fit f;
    const double one[1] = {1}, nan3[3] = {1, NAN, 0.5}, neg[3] = {1, -0.5, 0.2},
                 zero3[3] = {0, 0, 0}, negpsd[3] = {-1, -2, 0};

    CHECK(spectrum_rankme_sv(one, 0, &r, &err) == BL_EINVAL && isnan(r), "n=0 accepted");
    CHECK(strstr(err.msg, "no singular values") != NULL, "message: %s", err.msg);
    CHECK(spectrum_rankme_sv(nan3, 3, &r, &err) == BL_EINVAL && isnan(r), "NaN accepted");
    CHECK(strstr(err.msg, "singular value 2 is not finite") != NULL, "message: %s", err.msg);
    CHECK(spectrum_rankme_sv(neg, 3, &r, &err) == BL_EINVAL, "negative singular value accepted");
    CHECK(strstr(err.msg, "must be >= 0") != NULL, "message: %s", err.msg);
    CHECK(spectrum_rankme_sv(zero3, 3, &r, &err) == BL_EINVAL, "all-zero accepted");
    CHECK(strstr(err.msg, "rank undefined") != NULL, "message: %s", err.msg);
    CHECK(spectrum_rankme_sv(one, 1, &r, &err) == BL_OK && fabs(r - 1) < 1e-6, "rank of one = %g",
          r);

    CHECK(spectrum_rankme_psd(one, 0, &r, &err) == BL_EINVAL && isnan(r), "psd n=0 accepted");
    CHECK(spectrum_rankme_psd(nan3, 3, &r, &err) == BL_EINVAL, "psd NaN accepted");
    CHECK(spectrum_rankme_psd(negpsd, 3, &r, &err) == BL_EINVAL, "no positive eigenvalue accepted");
    CHECK(strstr(err.msg, "no positive eigenvalue") != NULL, "message: %s", err.msg);
    CHECK(spectrum_erank_vn(one, 0, &r, &err) == BL_EINVAL && isnan(r), "vn n=0 accepted");
    CHECK(spectrum_erank_vn(nan3, 3, &r, &err) == BL_EINVAL, "vn NaN accepted");
    CHECK(spectrum_erank_vn(zero3, 3, &r, &err) == BL_EINVAL, "vn all-zero accepted");

    double lam50[50];
    for (int j = 1; j <= 50; j++)
        lam50[j - 1] = pow(j, -1.0);
    CHECK(spectrum_alpha_req(lam50, 0, 0, 0, false, &f, &err) == BL_EINVAL && isnan(f.alpha),
          "alpha n=0 accepted");
    CHECK(spectrum_alpha_req(lam50, 4, 0, 0, false, &f, &err) == BL_EINVAL && isnan(f.alpha),
          "4 points accepted");
    CHECK(strstr(err.msg, "window j=1..4 has 4 points: need at least 5") != NULL, "message: %s",
          err.msg);
    CHECK(f.j_lo == 1 && f.j_hi == 4, "failed window reported as %zu..%zu", f.j_lo, f.j_hi);
    CHECK(spectrum_alpha_req(lam50, 5, 0, 0, false, &f, &err) == BL_OK, "5 points: %s", err.msg);
    CHECK_REL(f.alpha, 1.0, 1e-12);
    CHECK(spectrum_alpha_req(lam50, 50, 10, 13, false, &f, &err) == BL_EINVAL, "window 10..13");
    CHECK(spectrum_alpha_req(lam50, 50, 20, 10, false, &f, &err) == BL_EINVAL, "window 20..10");
    CHECK(strstr(err.msg, "has 0 points") != NULL, "message: %s", err.msg);
    CHECK(spectrum_alpha_req(lam50, 50, 1, 51, false, &f, &err) == BL_EINVAL, "j_hi > n");
    CHECK(strstr(err.msg, "j_hi=51: only 50 eigenvalues") != NULL, "message: %s", err.msg);
    CHECK(spectrum_alpha_req(lam50, 50, 48, 0, false, &f, &err) == BL_EINVAL,
          "default window 48..50 accepted");
    /* Default window cut by the 1e-10 threshold to fewer than 5 points. */
    const double short_[8] = {1, 0.5, 0.25, 0.125, 1e-11, 0, 0, 0};
    CHECK(spectrum_alpha_req(short_, 8, 0, 0, false, &f, &err) == BL_EINVAL, "4 usable points");
    CHECK(f.j_hi == 4, "default j_hi = %zu, want 4", f.j_hi);
    /* An explicit window reaching a zero eigenvalue: log 0. */
    CHECK(spectrum_alpha_req(short_, 8, 1, 6, false, &f, &err) == BL_EINVAL, "log 0 accepted");
    CHECK(strstr(err.msg, "lambda_6 = 0 inside window j=1..6: must be > 0") != NULL, "message: %s",
          err.msg);
    double lamnan[50];
    memcpy(lamnan, lam50, sizeof lamnan);
    lamnan[20] = NAN;
    CHECK(spectrum_alpha_req(lamnan, 50, 0, 0, false, &f, &err) == BL_EINVAL, "NaN accepted");
    CHECK(strstr(err.msg, "eigenvalue 21 is not finite") != NULL, "message: %s", err.msg);
    CHECK(spectrum_alpha_req(negpsd, 3, 0, 0, false, &f, &err) == BL_EINVAL, "negative spectrum");

    const double M[4] = {1, 0, NAN, 1};
    CHECK(spectrum_eig_desc(M, 0, lam, &err) == BL_EINVAL, "eig d=0 accepted");
    CHECK(spectrum_eig_desc(M, 2, lam, &err) == BL_EINVAL, "eig NaN accepted");
    CHECK(strstr(err.msg, "entry (2,1) is not finite") != NULL, "message: %s", err.msg);
    CHECK(spectrum_sv_desc(M, 0, 2, false, lam, &err) == BL_EINVAL, "sv rows=0 accepted");
    CHECK(spectrum_sv_desc(M, 2, 0, false, lam, &err) == BL_EINVAL, "sv cols=0 accepted");
    CHECK(spectrum_sv_desc(M, 2, 2, false, lam, &err) == BL_EINVAL, "sv NaN accepted");
    CHECK(strstr(err.msg, "entry (2,1) is not finite") != NULL, "message: %s", err.msg);
}

/* The noise floor: n eps max|lam|, whatever the sign or order. */
static void
test_noise_floor(void)
{
    const double lam[] = {-3.0, 2.0, 1e-20};
    CHECK_REL(spectrum_noise_floor(lam, 3), 3 * DBL_EPSILON * 3.0, 1e-15);
    const double zero[] = {0.0, 0.0};
    CHECK(spectrum_noise_floor(zero, 2) == 0.0, "all-zero spectrum: floor 0");
    CHECK(spectrum_noise_floor(lam, 0) == 0.0, "empty spectrum: floor 0");
}

/* (H K H) with explicit H = I - 11^T/n, by two plain matrix products. */
static void
centre_explicit(const double *K, size_t n, double *out)
{
    double *H = malloc(n * n * sizeof(double)), *T = malloc(n * n * sizeof(double));
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            H[i * n + j] = (i == j ? 1.0 : 0.0) - 1.0 / (double)n;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            double s = 0;
            for (size_t k = 0; k < n; k++)
                s += H[i * n + k] * K[k * n + j];
            T[i * n + j] = s;
        }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            double s = 0;
            for (size_t k = 0; k < n; k++)
                s += T[i * n + k] * H[k * n + j];
            out[i * n + j] = s;
        }
    free(H);
    free(T);
}

/* CKA against the definition with explicit centring matrices, its invariances and errors. */
static void
test_cka(void)
{
    bl_err err;
    enum { N = 9, D = 4 };
    double Z1[N * D], Z2[N * 2], K1[N * N], K2[N * N], C1[N * N], C2[N * N], c = 0;
    unsigned long st = 12345;
    for (int i = 0; i < N * D; i++) {
        st = st * 6364136223846793005UL + 1442695040888963407UL;
        Z1[i] = (double)(st >> 11) / 9007199254740992.0 - 0.5;
    }
    for (int i = 0; i < N; i++) {
        Z2[2 * i] = Z1[i * D] + 0.3 * Z1[i * D + 1] * Z1[i * D + 1];
        Z2[2 * i + 1] = sin(3 * Z1[i * D + 2]);
    }
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            double a = 0, b = 0;
            for (int k = 0; k < D; k++)
                a += Z1[i * D + k] * Z1[j * D + k];
            for (int k = 0; k < 2; k++)
                b += Z2[2 * i + k] * Z2[2 * j + k];
            K1[i * N + j] = a + 0.7; /* an offset that centring removes */
            K2[i * N + j] = exp(0.5 * b); /* PSD (a power series in b), so CKA >= 0 */
        }
    centre_explicit(K1, N, C1);
    centre_explicit(K2, N, C2);
    double s12 = 0, s11 = 0, s22 = 0;
    for (int i = 0; i < N * N; i++) {
        s12 += C1[i] * C2[i];
        s11 += C1[i] * C1[i];
        s22 += C2[i] * C2[i];
    }
    double want = s12 / sqrt(s11 * s22);
    CHECK(spectrum_cka(K1, K2, N, &c, &err) == BL_OK, "%s", err.msg);
    /* Two centrings of O(1) entries in different orders: a few ulps of the sums. */
    CHECK_REL(c, want, 1e-12);
    CHECK(c > 0 && c < 1, "cka %g not in (0,1)", c);
    CHECK(spectrum_cka(K2, K1, N, &c, &err) == BL_OK && fabs(c - want) <= 1e-12,
          "cka not symmetric in its arguments: %g", c);
    /* 1 for a kernel with itself, scaled, or shifted by a constant. */
    double S[N * N];
    for (int i = 0; i < N * N; i++)
        S[i] = 3.5 * K1[i] - 2.0;
    CHECK(spectrum_cka(K1, S, N, &c, &err) == BL_OK, "%s", err.msg);
    CHECK_REL(c, 1.0, 1e-13);
    /* Scale invariance of the value itself. */
    for (int i = 0; i < N * N; i++)
        S[i] = 1e-6 * K2[i];
    CHECK(spectrum_cka(K1, S, N, &c, &err) == BL_OK, "%s", err.msg);
    CHECK_REL(c, want, 1e-12);
    /* Errors: a constant kernel (centres to 0), a NaN, n = 0. */
    for (int i = 0; i < N * N; i++)
        S[i] = 2.0;
    CHECK(spectrum_cka(K1, S, N, &c, &err) == BL_EINVAL, "constant kernel accepted");
    CHECK(strstr(err.msg, "K2 is constant") != NULL, "message: %s", err.msg);
    S[5] = NAN;
    CHECK(spectrum_cka(S, K1, N, &c, &err) == BL_EINVAL, "NaN accepted");
    CHECK(strstr(err.msg, "K1 entry (1,6) is not finite") != NULL, "message: %s", err.msg);
    CHECK(spectrum_cka(K1, K2, 0, &c, &err) == BL_EINVAL, "n=0 accepted");
}

int
main(void)
{
    TEST_INIT();
    test_rankme();
    test_z();
    test_alpha();
    test_nngp();
    test_eig();
    test_errors();
    test_noise_floor();
    test_cka();
    return TEST_REPORT();
}
