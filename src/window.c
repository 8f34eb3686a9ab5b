/* Window start indices over a signal, leaving out (or flagging) windows that
 * hold a bad sample. */
#include "gantry/features.h"

size_t gt_window_count(size_t n, size_t win, size_t hop)
{
    if (win == 0 || hop == 0 || n < win)
        return 0;
    return 1 + (n - win) / hop;
}

size_t gt_window_starts(size_t n, size_t win, size_t hop, const uint8_t *bad, int keep_bad,
                        size_t *starts, uint8_t *flag)
{
    const size_t nw = gt_window_count(n, win, hop);
    size_t listed = 0;
    /* One pass over the mask: scanned is how far it has been read, last_bad
     * the latest bad sample before that (valid when have_bad). */
    size_t scanned = 0, last_bad = 0;
    int have_bad = 0;
    for (size_t w = 0; w < nw; w++) {
        const size_t s = w * hop, e = s + win;
        if (bad) {
            if (scanned < s)
                scanned = s; /* hop > win: samples between windows do not matter */
            for (; scanned < e; scanned++)
                if (bad[scanned]) {
                    last_bad = scanned;
                    have_bad = 1;
                }
        }
        const int is_bad = have_bad && last_bad >= s;
        if (is_bad && !keep_bad)
            continue;
        starts[listed] = s;
        if (flag)
            flag[listed] = (uint8_t)is_bad;
        listed++;
    }
    return listed;
}
