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
#   rel=R abs=A [lines=N-M] [/ERE/] : REASON
# A rule with lines= and/or /ERE/ applies to the lines of EXPECTED inside
# the range (1-based, inclusive) whose text matches ERE; the last matching
# rule wins. Every such rule must say why after ':' (e.g. "Monte Carlo mean
# after chaotic NUTS dynamics: 4 standard errors"); a rule without a reason
# is an error. The ERE may not contain '/'.
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
    # tok "rel=R" or "abs=A" into rule i
    if (tok ~ /^rel=/) { rrel[i] = substr(tok, 5) + 0; return 1 }
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
BEGIN {
    drel = 1e-9; dabs = 0; nr = 0
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
            i = nr + 1; rrel[i] = 0; rabs[i] = 0; rlo[i] = 0; rhi[i] = 0; rpat[i] = pat
            nt = split(line, toks, /[ \t]+/)
            for (k = 1; k <= nt; k++)
                if (toks[k] != "" && !parse_tol(toks[k], i)) fail_rules("unknown field \"" toks[k] "\"")
            if (rlo[i] == 0 && pat == "") {
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
        rel = drel; tabs = dabs
        for (i = 1; i <= nr; i++)
            if ((rlo[i] == 0 || (ln >= rlo[i] && ln <= rhi[i])) && (rpat[i] == "" || la ~ rpat[i])) {
                rel = rrel[i]; tabs = rabs[i]
            }
        delete na; delete nb
        ca = tokenize(la, na); sa = skel
        cb = tokenize(lb, nb); sb = skel
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
        }
    }
    if (nbad > 0) { printf "numdiff: %d line(s) of %s differ from %s\n", nbad, got, want; exit 1 }
    exit 0
}'
