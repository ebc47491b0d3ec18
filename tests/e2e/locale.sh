#!/bin/sh
# End-to-end: numbers parse and print the same under a locale whose decimal
# separator is ',' (de_DE.UTF-8), in batch mode, in the plain REPL and in the
# live screen (tmux, after ncurses and readline have initialised), and an
# exported CSV always uses '.'. Wide characters still come from the
# environment's LC_CTYPE: the live screen draws box lines under de_DE.UTF-8.
# The locale is compiled into this test's scratch directory with localedef
# and found through LOCPATH, so no root is needed.
# Usage: locale.sh PATH/TO/bayeslens
set -u
BIN=$(readlink -f "$1")
command -v tmux >/dev/null 2>&1 || { echo "tmux missing (make test installs it)"; exit 1; }
if ! command -v localedef >/dev/null 2>&1; then
    echo "SKIP: localedef is missing (Debian package 'locales', in the Makefile's DEBS)"
    exit 0
fi
TMP=$(mktemp -d)
T="tmux -S $TMP/sock -f /dev/null"
fails=0 passes=0
cleanup() { $T kill-server >/dev/null 2>&1; rm -rf "$TMP"; }
trap cleanup EXIT
ok() { passes=$((passes + 1)); }
bad() { fails=$((fails + 1)); echo "FAIL: $1"; }

# localedef exits 1 on warnings while still writing the locale: judge it by
# the result, the locale's decimal point.
mkdir -p "$TMP/locale"
localedef -i de_DE -f UTF-8 "$TMP/locale/de_DE.UTF-8" > "$TMP/localedef.log" 2>&1
DE="LOCPATH=$TMP/locale LC_ALL=de_DE.UTF-8 LANG=de_DE.UTF-8"
dp=$(env $DE locale decimal_point 2>/dev/null)
if [ "$dp" != "," ]; then
    echo "FAIL: could not build de_DE.UTF-8 with localedef (decimal point '$dp'):"
    cat "$TMP/localedef.log"
    exit 1
fi

# Batch: the same output, byte for byte, as under LC_ALL=C; the CSV too.
SCRIPT='seed 1; data linear d=2 noise=0.5; model blr alpha=0.5; observe 20; show posterior; export stream s.csv'
mkdir "$TMP/c" "$TMP/de"
(cd "$TMP/c" && env LC_ALL=C "$BIN" -e "$SCRIPT" > out.txt 2>&1)
rc_c=$?
(cd "$TMP/de" && env $DE "$BIN" -e "$SCRIPT" > out.txt 2>&1)
rc_de=$?
[ $rc_c = 0 ] && [ $rc_de = 0 ] && ok || { bad "batch under de_DE: exit $rc_de (C: $rc_c)"; cat "$TMP/de/out.txt"; }
cmp -s "$TMP/c/out.txt" "$TMP/de/out.txt" && ok || { bad "batch output differs under de_DE"; diff "$TMP/c/out.txt" "$TMP/de/out.txt"; }
cmp -s "$TMP/c/s.csv" "$TMP/de/s.csv" && ok || bad "exported CSV differs under de_DE"
grep -q '[0-9]\.[0-9]' "$TMP/de/s.csv" && ok || bad "exported CSV has no '.' decimals"

# Interactive: the plain REPL and the live screen, each in tmux.
screen() { $T capture-pane -p -t "$1"; }
wait_for() { # wait_for SESSION TEXT [SECONDS]
    i=0 limit=$(( ${3:-10} * 10 ))
    while [ $i -lt $limit ]; do
        screen "$1" | grep -qF -- "$2" && return 0
        sleep 0.1; i=$((i + 1))
    done
    return 1
}
check() { # check SESSION DESCRIPTION TEXT
    if wait_for "$1" "$3"; then ok; else bad "$2: '$3' not on screen"; screen "$1"; fi
}
start() { # start SESSION ARGS: the binary under de_DE in a 120x40 tmux
    $T new-session -d -s "$1" -x 120 -y 40 \
        "env -i HOME=$TMP XDG_STATE_HOME=$TMP/state TERM=xterm-256color PATH=/usr/bin:/bin $DE $BIN $2"
}
for mode in plain live; do
    if [ $mode = plain ]; then start $mode --plain; else start $mode ""; fi
    check $mode "$mode starts" "$( [ $mode = plain ] && echo "type 'help'" || echo "F5 pause" )"
    $T send-keys -t $mode -l "data linear d=2 noise=0.5"; $T send-keys -t $mode Enter
    check $mode "$mode: noise=0.5 parses" "world: linear d=2 noise=0.5"
    $T send-keys -t $mode -l "model blr alpha=0.25"; $T send-keys -t $mode Enter
    check $mode "$mode: alpha=0.25 parses" "model: blr alpha=0.25"
    $T send-keys -t $mode -l "observe 3; export stream $TMP/$mode.csv"; $T send-keys -t $mode Enter
    check $mode "$mode: export" "wrote 3 rows"
    if screen $mode | grep -q "not a number"; then bad "$mode: 'not a number' under de_DE"; screen $mode; else ok; fi
done
screen live | grep -qF "┌" && ok || bad "live: no box drawing under de_DE.UTF-8 (LC_CTYPE lost)"
# Every data row: three numbers with '.' decimals, separated by ','.
NUM='-\{0,1\}[0-9][0-9]*\.[0-9][0-9]*\([eE][-+][0-9][0-9]*\)\{0,1\}'
for mode in plain live; do
    rows=$(sed 1d "$TMP/$mode.csv" 2>/dev/null | grep -c "^$NUM,$NUM,$NUM\$")
    [ "$rows" = 3 ] && ok || { bad "$mode: exported CSV rows not in '.' notation"; cat "$TMP/$mode.csv"; }
done

echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
