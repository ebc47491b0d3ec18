#!/bin/sh
# tests/cmd/examples_sequence.sh BIN EXAMPLES NUMDIFF [once|twice] - every
# examples/NAME.lens sourced one after another in ONE batch session (sorted,
# then reversed, then kernels before depth: issue 13's failure), each
# example's part of the output compared with NAME.out (its stdout part)
# through NUMDIFF and NAME.tol. Every example starts with `reset`, so a
# lecture prints the same after any other as in a fresh session. A `say`
# line before each source marks where its output starts.
set -u
BIN=$1 EXAMPLES=$2 NUMDIFF=$3 ORDERS=${4:-twice} # once: sorted only (sanitizer builds)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$EXAMPLES"/*.lens "$work"/
cd "$work" || exit 1
sorted=$(ls *.lens | LC_ALL=C sort)
reversed=$(printf '%s\n' $sorted | LC_ALL=C sort -r)
order="$sorted $reversed kernels.lens depth.lens"
[ "$ORDERS" = once ] && order="$sorted kernels.lens depth.lens"
set --
for f in $order; do set -- "$@" -e "say @@@ $f" -e "source $f"; done
if ! "$BIN" "$@" > all.out 2> all.err; then
    echo "FAIL: the examples in one session stopped: $(cat all.err)"
    exit 1
fi
# Chunk k (1-based) of all.out is the output of the k-th script of order.
awk '/^@@@ [a-z_]+\.lens$/ { k++; f = sprintf("part_%02d", k); next } { print > f }' all.out
fails=0 k=0
for f in $order; do
    k=$((k + 1)) name=${f%.lens}
    part=$(printf 'part_%02d' $k)
    [ -f "$part" ] || : > "$part"
    sed '/^--- stderr$/,$d' "$EXAMPLES/$name.out" > "$part.expected"
    rules=""
    [ -f "$EXAMPLES/$name.tol" ] && rules="$EXAMPLES/$name.tol"
    if ! sh "$NUMDIFF" "$part.expected" "$part" $rules > "$part.diff" 2>&1; then
        echo "FAIL: $name (number $k in the session) prints other than alone:"
        diff -u "$part.expected" "$part" | head -40
        fails=$((fails + 1))
    fi
done
[ $fails -eq 0 ] || exit 1
echo "$k examples in one session print what each prints alone"
