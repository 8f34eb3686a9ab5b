/* Quality words and OPC codes -> gt_quality, and their names. */
#include <stddef.h>
#include <string.h>

#include "gantry/csv.h"
#include "gantry/store.h"

const char *gt_quality_name(int q)
{
    static const char *const names[GT_Q_COUNT] = {"good", "uncertain", "interpolated", "bad",
                                                  "missing"};
    return q >= 0 && q < GT_Q_COUNT ? names[q] : "unknown";
}

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Case-insensitive equality of s[0..n) with a lower-case word, where any
 * run of spaces, '_' or '-' in s matches a single space in w. */
static int word_eq(const char *s, size_t n, const char *w)
{
    size_t i = 0;
    for (; *w; w++) {
        if (*w == ' ') {
            if (i >= n || !(s[i] == ' ' || s[i] == '_' || s[i] == '-'))
                return 0;
            while (i < n && (s[i] == ' ' || s[i] == '_' || s[i] == '-'))
                i++;
            continue;
        }
        if (i >= n || lower((unsigned char)s[i]) != *w)
            return 0;
        i++;
    }
    return i == n;
}

int gt_quality_parse(const char *s, size_t len)
{
    if (!s)
        return len ? -1 : GT_Q_GOOD;
    while (len && (s[0] == ' ' || s[0] == '\t'))
        s++, len--;
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    if (len == 0)
        return GT_Q_GOOD;
    /* the common case first */
    if (len == 4 && (s[0] | 32) == 'g' && (s[1] | 32) == 'o' && (s[2] | 32) == 'o' &&
        (s[3] | 32) == 'd')
        return GT_Q_GOOD;
    if ((unsigned)(s[0] - '0') < 10u) {
        unsigned v = 0;
        size_t i = 0;
        while (i < len && (unsigned)(s[i] - '0') < 10u && v < 1000)
            v = v * 10 + (unsigned)(s[i++] - '0');
        /* "192.0" as pandas writes integer codes read as floats */
        if (i < len && s[i] == '.') {
            i++;
            while (i < len && s[i] == '0')
                i++;
        }
        if (i != len || v > 255)
            return -1;
        return v >= 192 ? GT_Q_GOOD : v >= 64 ? GT_Q_UNCERTAIN : GT_Q_BAD;
    }
    static const char *const good[] = {"good", "ok", "valid"};
    static const char *const unc[] = {"uncertain", "questionable", "substituted", "manual"};
    static const char *const bad[] = {"bad",           "i/o timeout",    "comm fail",
                                      "shutdown",      "not connected",  "out of service",
                                      "device failure", "sensor failure", "configure",
                                      "scan off",      "calc failed",    "no data"};
    for (size_t k = 0; k < sizeof good / sizeof *good; k++)
        if (word_eq(s, len, good[k]))
            return GT_Q_GOOD;
    for (size_t k = 0; k < sizeof unc / sizeof *unc; k++)
        if (word_eq(s, len, unc[k]))
            return GT_Q_UNCERTAIN;
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++)
        if (word_eq(s, len, bad[k]))
            return GT_Q_BAD;
    return -1;
}
