#!/bin/sh
# tests/numdiff.sh EXPECTED GOT [RULES] - compare two text files line by line:
# every token that is a number must agree within a tolerance, everything else
# byte for byte. Exit 0 when they agree, 1 when they differ (the differing
# lines are printed), 2 on a usage or rules error.
#
# A number is [-+]?(digits[.digits]|.digits)([eE][-+]?digits)?; so "x1" is the
# text "x" and the number 1, and "nan" is text. Two numbers a (expected) and
# b (got) agree when |a - b| <= abs + rel * max(|a|, |b|).
#
# Default tolerance: rel=1e-9 abs=0 (outputs print %.10g: rounding of the
# last printed digit only). RULES, one per line ('#' lines and blank lines
# ignored):
#   rel=R abs=A                          the default for this file
#   rel=R abs=A [dots=D] [lines=N-M] [/ERE/] : REASON
# A rule with lines= and/or /ERE/ applies to the lines of EXPECTED inside
# the range (1-based, inclusive) whose text matches ERE; the last matching
# rule wins. Every such rule must say why after ':' (e.g. "Monte Carlo mean
# after chaotic NUTS dynamics: 4 standard errors"); a rule without a reason
# is an error. The ERE may not contain '/'. A field a rule does not give is
# 0 (rel=0 abs=0: its lines' numbers compare exactly).
#
# dots=D (screens): in the lines a rule governs, braille cells (U+2800 -
# U+28FF, 8 dots each; a blank is the empty cell) compare dot by dot, and at
# most D dots in all of them together may differ; everything else on those
# lines is compared as above. A plot's curve drawn through numbers that agree
# within their tolerance can still cross a dot's boundary on one machine and
# not on another: D says how many such dots the figure may change, with the
# reason (the measured spread). A wider difference (a cell of text, a glyph,
# a tick label, a moved mark) still fails.
LC_ALL=C
export LC_ALL
if [ $# -lt 2 ] || [ $# -gt 3 ]; then
    echo "usage: numdiff.sh EXPECTED GOT [RULES]" >&2
    exit 2
fi
for f in "$1" "$2" ${3:+"$3"}; do
    [ -r "$f" ] || { echo "numdiff: $f: cannot read" >&2; exit 2; }
done
# Byte-identical files agree once the rules are valid (and awk would share
# one stream for one file name).
same=0
cmp -s "$1" "$2" && same=1
awk -v same=$same -v want="$1" -v got="$2" -v rules="${3:-}" '
function fail_rules(msg) { printf "numdiff: %s:%d: %s\n", rules, rl, msg > "/dev/stderr"; exit 2 }
function parse_tol(tok, i) {
    # tok "rel=R", "abs=A", "dots=D" or "lines=N-M" into rule i
    if (tok ~ /^rel=/) { rrel[i] = substr(tok, 5) + 0; return 1 }
    if (tok ~ /^dots=[0-9]+$/) { rdots[i] = substr(tok, 6) + 0; return 1 }
    if (tok ~ /^abs=/) { rabs[i] = substr(tok, 5) + 0; return 1 }
    if (tok ~ /^lines=[0-9]+-[0-9]+$/) {
        split(substr(tok, 7), lm, "-"); rlo[i] = lm[1] + 0; rhi[i] = lm[2] + 0; return 1
    }
    return 0
}
# Split s into numbers (num[1..]) and the text between them (skel).
function tokenize(s, num,    n, t, re) {
    re = "[-+]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][-+]?[0-9]+)?"
    n = 0; t = ""
    while (match(s, re)) {
        t = t substr(s, 1, RSTART - 1) "\001"
        num[++n] = substr(s, RSTART, RLENGTH)
        s = substr(s, RSTART + RLENGTH)
    }
    skel = t s
    return n
}
function absv(x) { return x < 0 ? -x : x }
# s with each braille cell and blank as \002, its dots (0-255) in bits[1..]:
# U+2800 + d is UTF-8 E2, A0 + d / 64, 80 + d % 64.
function cells(s, bits,    out, n, i, len, ch, b2, b3) {
    out = ""; n = 0; len = length(s)
    for (i = 1; i <= len; i++) {
        ch = substr(s, i, 1)
        if (ch == " ") { bits[++n] = 0; out = out "\002"; continue }
        if (ch == "\342" && i + 2 <= len) {
            b2 = ord[substr(s, i + 1, 1)]; b3 = ord[substr(s, i + 2, 1)]
            if (b2 >= 160 && b2 <= 163 && b3 >= 128 && b3 <= 191) {
                bits[++n] = (b2 - 160) * 64 + b3 - 128; out = out "\002"; i += 2; continue
            }
        }
        out = out ch
    }
    return out
}
# How many of the 8 dots of two cells differ.
function flips(a, b,    k, n) {
    n = 0
    for (k = 0; k < 8; k++) { n += (a % 2 != b % 2); a = int(a / 2); b = int(b / 2) }
    return n
}
BEGIN {
    drel = 1e-9; dabs = 0; nr = 0
    for (k = 1; k < 256; k++) ord[sprintf("%c", k)] = k
    if (rules != "") {
        rl = 0
        while ((getline line < rules) > 0) {
            rl++
            if (line ~ /^[ \t]*(#|$)/) continue
            reason = ""; pat = ""
            c = index(line, ":"); sl = index(line, "/")
            if (sl > 0 && (c == 0 || sl < c) && match(line, /\/[^\/]*\//)) {
                pat = substr(line, RSTART + 1, RLENGTH - 2)
                line = substr(line, 1, RSTART - 1) " " substr(line, RSTART + RLENGTH)
            }
            if (index(line, ":") > 0) {
                reason = substr(line, index(line, ":") + 1)
                line = substr(line, 1, index(line, ":") - 1)
            }
            i = nr + 1; rrel[i] = 0; rabs[i] = 0; rdots[i] = 0; rlo[i] = 0; rhi[i] = 0; rpat[i] = pat
            nt = split(line, toks, /[ \t]+/)
            for (k = 1; k <= nt; k++)
                if (toks[k] != "" && !parse_tol(toks[k], i)) fail_rules("unknown field \"" toks[k] "\"")
            if (rlo[i] == 0 && pat == "") {
                if (rdots[i] > 0) fail_rules("dots= needs lines= or /ERE/, and its reason")
                drel = rrel[i]; dabs = rabs[i]; continue
            }
            if (reason !~ /[A-Za-z]/) fail_rules("a rule needs its reason after \":\"")
            nr = i; rline[i] = rl
        }
        close(rules)
        # A lines= rule that applies to no line of EXPECTED is stale (an edit
        # of the output moved its lines) and would let the rounding of other
        # machines through only by luck: refuse it, also when the files are
        # identical here. (A rule by pattern alone may serve several files,
        # the screens of one lecture, and match lines in only some of them.)
        ln = 0
        while ((getline la < want) > 0) {
            ln++
            for (i = 1; i <= nr; i++)
                if ((rlo[i] == 0 || (ln >= rlo[i] && ln <= rhi[i])) && (rpat[i] == "" || la ~ rpat[i]))
                    used[i] = 1
        }
        close(want)
        for (i = 1; i <= nr; i++)
            if (rlo[i] > 0 && !used[i]) { rl = rline[i]; fail_rules("its lines= apply to no line of " want " (stale after an edit of the output?)") }
    }
    if (same) exit 0
    ln = 0; nbad = 0
    while (1) {
        a = (getline la < want); b = (getline lb < got)
        if (a <= 0 && b <= 0) break
        ln++
        if (a <= 0 || b <= 0) {
            printf "line %d: %s ends first\n", ln, a <= 0 ? want : got
            nbad++; break
        }
        if (la == lb) continue
        rel = drel; tabs = dabs; win = 0
        for (i = 1; i <= nr; i++)
            if ((rlo[i] == 0 || (ln >= rlo[i] && ln <= rhi[i])) && (rpat[i] == "" || la ~ rpat[i])) {
                rel = rrel[i]; tabs = rabs[i]; win = i
            }
        xa = la; xb = lb; nf = 0
        if (win > 0 && rdots[win] > 0) {
            delete ba; delete bb
            xa = cells(la, ba); xb = cells(lb, bb)
            if (xa == xb)
                for (k = 1; k in ba; k++) nf += flips(ba[k], bb[k])
        }
        delete na; delete nb
        ca = tokenize(xa, na); sa = skel
        cb = tokenize(xb, nb); sb = skel
        why = ""
        if (sa != sb || ca != cb) why = "text differs"
        for (k = 1; why == "" && k <= ca; k++) {
            x = na[k] + 0; y = nb[k] + 0
            m = absv(x) > absv(y) ? absv(x) : absv(y)
            if (absv(x - y) > tabs + rel * m)
                why = sprintf("%s vs %s: |diff| %.3g > abs %g + rel %g", na[k], nb[k], absv(x - y), tabs, rel)
        }
        if (why != "") {
            nbad++
            if (nbad <= 20) printf "line %d: %s\n- %s\n+ %s\n", ln, why, la, lb
        } else if (nf > 0) {
            spent[win] += nf
            if (nshown[win] < 20)
                shown[win, ++nshown[win]] = sprintf("line %d: %d braille dot(s) differ\n- %s\n+ %s\n", ln, nf, la, lb)
        }
    }
    # A dot budget spent beyond D fails the whole rule, with the lines it spent on.
    for (i = 1; i <= nr; i++)
        if (spent[i] > rdots[i]) {
            for (k = 1; k <= nshown[i]; k++) printf "%s", shown[i, k]
            printf "numdiff: %d braille dot(s) differ in the lines of %s:%d, more than its dots=%d\n", spent[i], rules, rline[i], rdots[i]
            nover++
        }
    if (nover > 0 && nbad == 0) exit 1
    if (nbad > 0) { printf "numdiff: %d line(s) of %s differ from %s\n", nbad, got, want; exit 1 }
    exit 0
}'
