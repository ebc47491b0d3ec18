#!/bin/sh
# tests/numdiff/selftest.sh NUMDIFF - the numeric differ must pass what
# agrees and fail what does not: each case states the exit status it wants.
ND=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
passes=0 fails=0
# case NAME WANT_STATUS EXPECTED GOT [RULES]
case_() {
    name=$1 want=$2
    printf '%b' "$3" > "$T/a"; printf '%b' "$4" > "$T/b"
    if [ $# -ge 5 ]; then printf '%b' "$5" > "$T/r"; sh "$ND" "$T/a" "$T/b" "$T/r" > "$T/out" 2>&1
    else sh "$ND" "$T/a" "$T/b" > "$T/out" 2>&1; fi
    st=$?
    if [ "$st" = "$want" ]; then passes=$((passes + 1))
    else fails=$((fails + 1)); echo "FAIL: $name: status $st, want $want"; cat "$T/out"; fi
}
case_ "identical" 0 "a = 1.5\nb\n" "a = 1.5\nb\n"
case_ "last-digit rounding within rel 1e-9" 0 "x = 0.1234567891\n" "x = 0.1234567892\n"
case_ "beyond rel 1e-9" 1 "x = 0.123456789\n" "x = 0.123456799\n"
case_ "exponent forms compare as numbers" 0 "v = [1e-05, 2]\n" "v = [1.0000000000e-05, 2.0]\n"
case_ "text differs" 1 "model: blr\n" "model: nig\n"
case_ "number count differs" 1 "v = [1, 2]\n" "v = [1, 2, 3]\n"
case_ "number against text" 1 "x = 1\n" "x = nan\n"
case_ "sign matters" 1 "x = 1\n" "x = -1\n"
case_ "got is shorter" 1 "a\nb\n" "a\n"
case_ "got is longer" 1 "a\n" "a\nb\n"
case_ "integers exact" 1 "n = 1000\n" "n = 1001\n"
case_ "whitespace is text" 1 "a = 1\n" "a =  1\n"
case_ "file default loosened" 0 "x = 1.0\n" "x = 1.05\n" "rel=0.1 abs=0\n"
case_ "line rule by pattern" 0 "mean = 1.0\nsd = 2\n" "mean = 1.2\nsd = 2\n" \
    "rel=0 abs=0.5 /^mean = / : Monte Carlo mean\n"
case_ "line rule leaves other lines tight" 1 "mean = 1.0\nsd = 2\n" "mean = 1.2\nsd = 2.1\n" \
    "rel=0 abs=0.5 /^mean = / : Monte Carlo mean\n"
case_ "line rule by range" 0 "x = 1\nx = 1\n" "x = 1\nx = 3\n" "rel=0 abs=5 lines=2-2 : second x is noisy\n"
case_ "range excludes other lines" 1 "x = 1\nx = 1\n" "x = 3\nx = 1\n" "rel=0 abs=5 lines=2-2 : second x is noisy\n"
case_ "rule without a reason is an error" 2 "x = 1\n" "x = 1\n" "rel=0 abs=5 /^x/\n"
case_ "unknown field is an error" 2 "x = 1\n" "x = 1\n" "tol=5\n"
case_ "a lines= rule for no line is an error, also on identical files" 2 "x = 1\n" "x = 1\n" \
    "rel=0 abs=5 lines=1-1 /^mean = / : Monte Carlo mean\n"
case_ "a rule by pattern alone may match nothing (it serves several files)" 0 "x = 1\n" "x = 1\n" \
    "rel=0 abs=5 /^mean = / : Monte Carlo mean\n"
case_ "a range past the end is an error" 2 "x = 1\n" "x = 2\n" "rel=0 abs=5 lines=3-4 : noisy\n"
# dots=D: braille cells compare dot by dot, at most D dots over the rule's lines.
D='dots=1 /^│/ : a curve through numbers within tolerance crosses a dot\n'
case_ "one dot flip within dots=1" 0 "│⣰⣻│\n" "│⣸⣻│\n" "$D"
case_ "two dot flips fail dots=1" 1 "│⣰⣻│\n" "│⣸⣿│\n" "$D"
case_ "the budget is shared by the rule's lines" 1 "│⣰│\n│⣻│\n" "│⣸│\n│⣿│\n" "$D"
case_ "two lines' flips within dots=2" 0 "│⣰│\n│⣻│\n" "│⣸│\n│⣿│\n" \
    'dots=2 /^│/ : a curve through numbers within tolerance crosses a dot\n'
case_ "a blank is the empty cell" 0 "│ ⠁│\n" "│⠁⠁│\n" "$D"
case_ "all 8 dots of a cell are 8 flips" 1 "│⠀│\n" "│⣿│\n" \
    'dots=7 /^│/ : a curve through numbers within tolerance crosses a dot\n'
case_ "8 flips within dots=8" 0 "│⠀│\n" "│⣿│\n" \
    'dots=8 /^│/ : a curve through numbers within tolerance crosses a dot\n'
case_ "a glyph that is not braille still differs" 1 "│⠁▲│\n" "│⠁▼│\n" "$D"
case_ "text against a braille cell still differs" 1 "│a⠁│\n" "│⠁⠁│\n" "$D"
case_ "a number on a dots line is exact unless rel= says" 1 "│⠁ 340│\n" "│⠁ 341│\n" "$D"
case_ "a moved cell of text still differs" 1 "│ a⠁│\n" "│a ⠁│\n" "$D"
case_ "lines the rule does not match stay exact" 1 "x⣰\n" "x⣸\n" "$D"
case_ "dots= as the file default is an error" 2 "│⣰│\n" "│⣰│\n" "dots=1\n"
case_ "dots= takes a count" 2 "│⣰│\n" "│⣰│\n" 'dots=0.5 /^│/ : a reason\n'
rm -f "$T/b"; if sh "$ND" "$T/a" "$T/nope" > /dev/null 2>&1; then st=0; else st=$?; fi
[ "$st" = 2 ] && passes=$((passes + 1)) || { fails=$((fails + 1)); echo "FAIL: unreadable file: status $st"; }
echo "$passes passed, $fails failed"
[ "$fails" = 0 ]
