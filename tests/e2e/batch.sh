#!/bin/sh
# Batch mode from the outside: exit status, messages that name the line,
# stdin scripts, --version naming OpenBLAS, bad options.
# Usage: batch.sh PATH/TO/bayeslens
set -u
BIN=$1
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
passes=0 fails=0
expect() { # expect DESCRIPTION WANT_STATUS WANT_TEXT COMMAND...
    desc=$1 want=$2 text=$3
    shift 3
    out=$("$@" 2>&1)
    st=$?
    if [ "$st" = "$want" ] && { [ -z "$text" ] || printf "%s" "$out" | grep -qF -- "$text"; }; then
        passes=$((passes + 1))
    else
        fails=$((fails + 1))
        echo "FAIL: $desc: status $st (want $want), output:"; printf '%s\n' "$out"
    fi
}

expect "-e runs commands" 0 "dim = 3" \
    "$BIN" -e 'seed 1; data linear d=3 noise=0.1; model blr alpha=1 beta=100; observe 200; show posterior'
expect "second -e fails and is named" 1 "bayeslens: -e:2: alpha=0: must be in 1e-50..1e+50: beyond" \
    "$BIN" -e 'data linear' -e 'model blr alpha=0' -e 'show data'
printf 'seed 1\ndata linear d=2\nobserve 5\nfrobnicate\nshow data\n' > "$TMP/s.lens"
expect "script error names file and line" 1 "s.lens:4: unknown command 'frobnicate'" "$BIN" "$TMP/s.lens"
expect "-x FILE" 1 "s.lens:4:" "$BIN" -x "$TMP/s.lens"
expect "stdin script" 1 "<stdin>:4: unknown command" sh -c "'$BIN' < '$TMP/s.lens'"
expect "stdin ok" 0 "n = 5" sh -c "printf 'data linear\nobserve 5\nshow data\n' | '$BIN'"
expect "commands after quit do not run" 0 "" sh -c "printf 'quit\nfrobnicate\n' | '$BIN'"
expect "missing script" 1 "nope.lens: No such file or directory" "$BIN" "$TMP/nope.lens"
expect "unknown option" 2 "unknown option '--frob'" "$BIN" --frob
expect "-e without its argument" 2 "option -e needs a command line argument" "$BIN" -e
expect "-x without its argument" 2 "option -x needs a file name" "$BIN" -x
expect "--help lists -e" 0 "-e 'CMD; CMD'" "$BIN" --help
expect "a typo gets a suggestion" 1 "unknown command 'obsrve': did you mean 'observe'?" \
    "$BIN" -e 'data linear; obsrve 5'
expect "--version names OpenBLAS" 0 "OpenBLAS" "$BIN" --version
expect "--help lists modes" 0 "batch" "$BIN" --help
expect "binary garbage script" 1 "<stdin>:1: a NUL byte at column" sh -c "head -c 300 '$BIN' | '$BIN'"

echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
