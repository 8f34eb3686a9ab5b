/* Timestamps and durations: ISO 8601, IMS dotted dates, epoch numbers. */
#include "gantry/timefmt.h"

#include <stdio.h>
#include <string.h>

#include "csv_internal.h"

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
int64_t gt__days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int days_in_month(int64_t y, unsigned m)
{
    static const unsigned char dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

#define ISD(c) ((unsigned)((c) - '0') < 10u)
#define D2(p) (((p)[0] - '0') * 10 + ((p)[1] - '0'))

/* Days from the int64-nanosecond range (about 1677..2262). */
#define DAYS_MIN (-106751)
#define DAYS_MAX 106750

static int parse_date(const char *s, char sep, int64_t *days)
{
    if (!(ISD(s[0]) && ISD(s[1]) && ISD(s[2]) && ISD(s[3]) && s[4] == sep && ISD(s[5]) &&
          ISD(s[6]) && s[7] == sep && ISD(s[8]) && ISD(s[9])))
        return -1;
    int64_t y = D2(s) * 100 + D2(s + 2);
    unsigned m = (unsigned)D2(s + 5), d = (unsigned)D2(s + 8);
    if (m < 1 || m > 12 || d < 1 || (int)d > days_in_month(y, m))
        return -1;
    int64_t z = gt__days_from_civil(y, m, d);
    if (z < DAYS_MIN || z > DAYS_MAX)
        return -1;
    *days = z;
    return 0;
}

/* The part after the date: [T ]HH:MM[:SS[.f]][zone] -> ns since midnight
 * (zone applied). */
static int parse_clock(const char *s, size_t n, int64_t *ns)
{
    if (n < 5 || !(ISD(s[0]) && ISD(s[1]) && s[2] == ':' && ISD(s[3]) && ISD(s[4])))
        return -1;
    int hh = D2(s), mm = D2(s + 3), ss = 0;
    if (hh > 23 || mm > 59)
        return -1;
    size_t i = 5;
    int64_t frac = 0;
    if (i < n && s[i] == ':') {
        if (i + 3 > n || !ISD(s[i + 1]) || !ISD(s[i + 2]))
            return -1;
        ss = D2(s + i + 1);
        if (ss > 59)
            return -1;
        i += 3;
        if (i < n && (s[i] == '.' || s[i] == ',')) {
            i++;
            int nd = 0;
            while (i < n && ISD(s[i])) {
                if (++nd > 9)
                    return -1;
                frac = frac * 10 + (s[i] - '0');
                i++;
            }
            if (nd == 0)
                return -1;
            static const int64_t scale[10] = {1,         100000000, 10000000, 1000000, 100000,
                                              10000,     1000,      100,      10,      1};
            frac *= scale[nd];
        }
    }
    int64_t off = 0;
    if (i < n) {
        if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == n) {
            i++;
        } else if (s[i] == '+' || s[i] == '-') {
            int sign = s[i] == '-' ? -1 : 1;
            const char *z = s + i + 1;
            size_t zn = n - i - 1;
            int oh, om = 0;
            if (zn == 2 && ISD(z[0]) && ISD(z[1])) {
                oh = D2(z);
            } else if (zn == 4 && ISD(z[0]) && ISD(z[1]) && ISD(z[2]) && ISD(z[3])) {
                oh = D2(z);
                om = D2(z + 2);
            } else if (zn == 5 && ISD(z[0]) && ISD(z[1]) && z[2] == ':' && ISD(z[3]) &&
                       ISD(z[4])) {
                oh = D2(z);
                om = D2(z + 3);
            } else {
                return -1;
            }
            if (oh > 23 || om > 59)
                return -1;
            off = sign * ((int64_t)oh * 3600 + om * 60);
            i = n;
        } else {
            return -1;
        }
    }
    *ns = ((int64_t)hh * 3600 + mm * 60 + ss - off) * 1000000000LL + frac;
    return 0;
}

int gt__time_iso(const char *s, size_t n, int64_t *ns, gt__time_cache *c)
{
    if (n < 10)
        return GT_EFORMAT;
    int64_t days;
    if (c && c->date_ok && memcmp(c->date, s, 10) == 0) {
        days = c->days;
    } else {
        if (parse_date(s, '-', &days) != 0)
            return GT_EFORMAT;
        if (c) {
            memcpy(c->date, s, 10);
            c->days = days;
            c->date_ok = 1;
        }
    }
    int64_t t = 0;
    if (n > 10) {
        if (s[10] != 'T' && s[10] != ' ' && s[10] != 't')
            return GT_EFORMAT;
        if (parse_clock(s + 11, n - 11, &t) != 0)
            return GT_EFORMAT;
    }
    *ns = days * 86400000000000LL + t;
    return GT_OK;
}

static int parse_dotted(const char *s, size_t n, int64_t *ns)
{
    int64_t days;
    if (n != 19 || parse_date(s, '.', &days) != 0 || s[10] != '.' || s[13] != '.' ||
        s[16] != '.')
        return GT_EFORMAT;
    const char *c = s + 11;
    if (!(ISD(c[0]) && ISD(c[1]) && ISD(c[3]) && ISD(c[4]) && ISD(c[6]) && ISD(c[7])))
        return GT_EFORMAT;
    int hh = D2(c), mm = D2(c + 3), ss = D2(c + 6);
    if (hh > 23 || mm > 59 || ss > 59)
        return GT_EFORMAT;
    *ns = days * 86400000000000LL + ((int64_t)hh * 3600 + mm * 60 + ss) * 1000000000LL;
    return GT_OK;
}

/* A plain decimal number [-]digits[.digits] scaled to ns (unit = ns per unit).
 * *mag gets its integer part's magnitude (for the epoch s/ms choice). */
static int parse_epoch(const char *s, size_t n, int64_t unit, int64_t *ns, double *mag)
{
    size_t i = 0;
    int neg = 0;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        neg = s[i++] == '-';
    uint64_t ip = 0;
    int nd = 0;
    while (i < n && ISD(s[i])) {
        if (ip > (UINT64_MAX - 9) / 10)
            return GT_EFORMAT;
        ip = ip * 10 + (uint64_t)(s[i] - '0');
        i++;
        nd++;
    }
    uint64_t fp = 0, fscale = 1;
    int nf = 0;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && ISD(s[i])) {
            if (fscale < 1000000000000000000ULL) {
                fp = fp * 10 + (uint64_t)(s[i] - '0');
                fscale *= 10;
            }
            i++;
            nf++;
        }
    }
    if (i != n || nd + nf == 0)
        return GT_EFORMAT;
    if (mag)
        *mag = (double)ip;
    if (ip > (uint64_t)INT64_MAX / (uint64_t)unit)
        return GT_EFORMAT;
    int64_t whole = (int64_t)ip * unit;
    /* fp / fscale * unit, rounded to nearest ns (unit <= 1e9 and fscale <=
     * 1e18: split to stay in 64 bits) */
    int64_t f = 0;
    if (fp) {
        long double v = (long double)fp * (long double)unit / (long double)fscale;
        f = (int64_t)(v + 0.5L);
    }
    if (whole > INT64_MAX - f)
        return GT_EFORMAT;
    *ns = neg ? -(whole + f) : whole + f;
    return GT_OK;
}

int gt__time_parse_c(const char *s, size_t n, gt_time_format fmt, int64_t *ns,
                     gt__time_cache *c)
{
    switch (fmt) {
    case GT_TIME_ISO:
        return gt__time_iso(s, n, ns, c);
    case GT_TIME_DOTTED:
        return parse_dotted(s, n, ns);
    case GT_TIME_EPOCH_S:
        return parse_epoch(s, n, 1000000000LL, ns, NULL);
    case GT_TIME_EPOCH_MS:
        return parse_epoch(s, n, 1000000LL, ns, NULL);
    case GT_TIME_AUTO:
    default: {
        if (gt__time_iso(s, n, ns, c) == GT_OK || parse_dotted(s, n, ns) == GT_OK)
            return GT_OK;
        double mag = 0;
        int64_t v;
        if (parse_epoch(s, n, 1000000000LL, &v, &mag) == GT_OK && mag < 1e11) {
            *ns = v;
            return GT_OK;
        }
        return parse_epoch(s, n, 1000000LL, ns, NULL);
    }
    }
}

int gt_time_parse(const char *s, size_t len, gt_time_format fmt, int64_t *ns)
{
    if (!s || !ns)
        return GT_EINVAL;
    return gt__time_parse_c(s, len, fmt, ns, NULL);
}

gt_time_format gt_time_detect(const char *s, size_t len)
{
    int64_t ns;
    double mag = 0;
    if (!s)
        return GT_TIME_AUTO;
    if (gt__time_iso(s, len, &ns, NULL) == GT_OK)
        return GT_TIME_ISO;
    if (parse_dotted(s, len, &ns) == GT_OK)
        return GT_TIME_DOTTED;
    if (parse_epoch(s, len, 1, &ns, &mag) == GT_OK)
        return mag < 1e11 ? GT_TIME_EPOCH_S : GT_TIME_EPOCH_MS;
    return GT_TIME_AUTO;
}

void gt_time_format_iso(int64_t ns, char *buf, size_t cap)
{
    if (!buf || cap == 0)
        return;
    int64_t days = ns / 86400000000000LL, rem = ns % 86400000000000LL;
    if (rem < 0) {
        rem += 86400000000000LL;
        days--;
    }
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    int64_t secs = rem / 1000000000LL, frac = rem % 1000000000LL;
    char fr[16] = "";
    if (frac) {
        int digits = 9;
        while (frac % 10 == 0) {
            frac /= 10;
            digits--;
        }
        snprintf(fr, sizeof fr, ".%0*lld", digits, (long long)frac);
    }
    snprintf(buf, cap, "%04lld-%02u-%02uT%02d:%02d:%02d%sZ", (long long)y, m, d,
             (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60), fr);
}

int gt_duration_parse(const char *s, int64_t *ns, gt_error *err)
{
    if (!s || !ns)
        return gt_error_set(err, GT_EINVAL, "duration: no text given");
    const char *p = s;
    while (*p == ' ')
        p++;
    const char *num = p;
    while (ISD(*p) || *p == '.')
        p++;
    size_t nn = (size_t)(p - num);
    while (*p == ' ')
        p++;
    const char *u = p;
    size_t un = strlen(u);
    while (un && u[un - 1] == ' ')
        un--;
    static const struct {
        const char *name;
        int64_t ns;
    } units[] = {{"ns", 1},
                 {"us", 1000},
                 {"\xc2\xb5s", 1000},
                 {"ms", 1000000},
                 {"s", 1000000000LL},
                 {"sec", 1000000000LL},
                 {"min", 60000000000LL},
                 {"m", 60000000000LL},
                 {"h", 3600000000000LL},
                 {"hr", 3600000000000LL},
                 {"d", 86400000000000LL},
                 {"day", 86400000000000LL}};
    int64_t unit = 0;
    if (un == 0) {
        unit = 1000000000LL;
    } else {
        for (size_t k = 0; k < sizeof units / sizeof units[0]; k++)
            if (strlen(units[k].name) == un && memcmp(units[k].name, u, un) == 0)
                unit = units[k].ns;
    }
    int64_t v;
    if (nn == 0 || unit == 0 || parse_epoch(num, nn, unit, &v, NULL) != GT_OK)
        return gt_error_set(err, GT_EINVAL,
                            "duration '%s' is not a number with a unit (ns, us, ms, s, "
                            "min, h, d)",
                            s);
    *ns = v;
    return GT_OK;
}
