/* tests/test_err.c - core/base/err: messages quote user input safely
 * (control characters escaped, a long word cut in its middle so the reason
 * after it survives the 256-byte buffer). */
#include <stdio.h>
#include <string.h>

#include "core/base/err.h"
#include "harness.h"

int
main(void)
{
    TEST_INIT();
    bl_err err;

    bl_fail(&err, BL_EINVAL, "%s: unknown argument", "d=1\033[2J");
    CHECK(strcmp(err.msg, "d=1\\x1b[2J: unknown argument") == 0, "escaped: %s", err.msg);
    bl_fail(&err, BL_EINVAL, "bad %s", "a\tb\nc\x7f");
    CHECK(strcmp(err.msg, "bad a\\x09b\\x0ac\\x7f") == 0, "tab, newline, DEL: %s", err.msg);
    CHECK(err.code == BL_EINVAL, "code kept");

    /* A 5000-byte word: the reason and both ends of the word survive. */
    static char word[5001];
    memset(word, 'w', 5000);
    memcpy(word, "/start", 6);
    memcpy(word + 5000 - 8, "end.csv", 7);
    word[4999] = 'Z';
    bl_fail(&err, BL_EIO, "%s: No space left on device", word);
    size_t n = strlen(err.msg);
    CHECK(n < sizeof err.msg, "fits (%zu)", n);
    CHECK(strncmp(err.msg, "/start", 6) == 0, "head kept: %.20s", err.msg);
    CHECK(strstr(err.msg, "end.csvZ: No space left on device") != NULL, "reason kept: %s",
          err.msg);
    CHECK(strstr(err.msg, "\xe2\x80\xa6") != NULL, "ellipsis marks the cut");

    /* Multi-byte characters are never split. */
    static char uword[3001];
    for (int i = 0; i < 1000; i++)
        memcpy(uword + 3 * i, "\xe2\x80\xa2", 3);
    bl_fail(&err, BL_EINVAL, "x=%s: must be a number", uword);
    CHECK(strstr(err.msg, ": must be a number") != NULL, "reason kept after UTF-8: %s", err.msg);
    int bad = 0;
    for (const unsigned char *p = (const unsigned char *)err.msg; *p;) {
        int len = *p < 0x80 ? 1 : (*p & 0xE0) == 0xC0 ? 2 : (*p & 0xF0) == 0xE0 ? 3 : 4;
        for (int k = 1; k < len; k++)
            bad += (p[k] & 0xC0) != 0x80;
        if ((*p & 0xC0) == 0x80)
            bad++;
        p += bad ? 1 : len;
    }
    CHECK(bad == 0, "valid UTF-8 after cutting");

    /* No long word: cut at the end, still valid and terminated. */
    static char many[2000];
    for (int i = 0; i < 1999; i++)
        many[i] = i % 4 == 3 ? ' ' : 'a';
    bl_fail(&err, BL_EINVAL, "%s", many);
    CHECK(strlen(err.msg) < sizeof err.msg, "short words: fits");

    bl_fail(NULL, BL_EINVAL, "no %s", "err");
    bl_err_clear(&err);
    CHECK(err.code == BL_OK && err.msg[0] == '\0', "cleared");
    return TEST_REPORT();
}
