#!/bin/sh
# End-to-end: drive the real binary in tmux as a user would. Tab completion,
# help, Ctrl-C during a long computation (the program survives, the points
# that arrived stay), history recall with Up and in the XDG state file,
# Ctrl-D to leave, and the terminal settings restored afterwards.
# Usage: repl.sh PATH/TO/bayeslens
set -u
BIN=$(readlink -f "$1")
command -v tmux >/dev/null 2>&1 || { echo "tmux missing (make test installs it)"; exit 1; }
TMP=$(mktemp -d)
SOCK="$TMP/tmux.sock"
T="tmux -S $SOCK"
fails=0 passes=0
cleanup() { $T kill-server >/dev/null 2>&1; rm -rf "$TMP"; }
trap cleanup EXIT

screen() { $T capture-pane -p -t e2e; }
# wait_for TEXT [SECONDS]: poll the screen until TEXT shows up.
wait_for() {
    i=0 limit=$(( ${2:-10} * 10 ))
    while [ $i -lt $limit ]; do
        screen | grep -qF -- "$1" && return 0
        sleep 0.1; i=$((i + 1))
    done
    return 1
}
check() { # check DESCRIPTION TEXT [SECONDS]
    if wait_for "$2" "${3:-10}"; then passes=$((passes + 1)); else
        fails=$((fails + 1)); echo "FAIL: $1: '$2' not on screen:"; screen; fi
}

# The program's pid: the child of the pane's shell (never found by name).
app_pid() { pgrep -P "$($T display-message -p -t e2e '#{pane_pid}')" | head -1; }
# busy: wait (up to 10 s) until the program has used CPU for 2 clock ticks
# since the call, i.e. a long computation is under way, however loaded the
# machine; polls instead of sleeping a guessed time.
busy() {
    p=$(app_pid); [ -n "$p" ] || return 1
    c0=$(awk '{print $14 + $15}' "/proc/$p/stat") i=0
    while [ $i -lt 100 ]; do
        c=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null) || return 1
        [ $((c - c0)) -ge 2 ] && return 0
        sleep 0.1; i=$((i + 1))
    done
    return 1
}

$T new-session -d -s e2e -x 100 -y 40 "env -i HOME=$TMP XDG_STATE_HOME=$TMP/state TERM=xterm-256color PATH=/usr/bin:/bin PS1='$ ' sh"
wait_for '$' 10 || { fails=$((fails + 1)); echo "FAIL: the shell did not start"; }
$T send-keys -t e2e "cd $TMP && stty -g > before.stty" Enter
$T send-keys -t e2e "$BIN --plain" Enter
check "banner" "type 'help' for commands"

$T send-keys -t e2e 'data lin' Tab 'd=2 noise=0.5' Enter
check "Tab completes a subject" "world: linear d=2 noise=0.5"
$T send-keys -t e2e 'model blr feat' Tab 'po' Tab
check "Tab completes a key and a choice" "model blr features=poly"
$T send-keys -t e2e Enter
check "model built" "features=poly(3)"

$T send-keys -t e2e 'help obs' Tab Enter
check "help VERB" "usage: observe [N]"

$T send-keys -t e2e 'observe 10000000' Enter
busy || { fails=$((fails + 1)); echo "FAIL: observe 10000000 does not compute"; }
$T send-keys -t e2e C-c
check "Ctrl-C interrupts a long computation" "interrupted after"
# ... and says what it did: the user's own Ctrl-C is not an error.
if screen | grep -q "error: interrupted"; then
    fails=$((fails + 1))
    echo "FAIL: Ctrl-C is reported as an error"
fi
$T send-keys -t e2e 'show data' Enter
check "the program carries on" "in_dim = 2"

$T send-keys -t e2e 'model blr alpha=-2' Enter
check "bad value: one clear line" "error: alpha=-2: must be in 1e-50..1e+50"
$T send-keys -t e2e 'frobnicate' Enter
check "unknown command" "error: unknown command 'frobnicate'"

$T send-keys -t e2e 'model blr alpha=3' Enter
check "a model without features" "model: blr alpha=3 beta=4 features=identity" 20
$T send-keys -t e2e 'half typed' C-c
$T send-keys -t e2e Up Up Up Up Up Up Up Enter
$T send-keys -t e2e 'show model' Enter
check "history recall with Up" "model = blr alpha=1 beta=4 features=poly(3)" 20

$T send-keys -t e2e C-d
i=0; while [ $i -lt 100 ] && [ -n "$(app_pid)" ]; do sleep 0.1; i=$((i + 1)); done
[ -z "$(app_pid)" ] || { fails=$((fails + 1)); echo "FAIL: Ctrl-D: the program is still running"; }
$T send-keys -t e2e 'stty -g > after.stty; cmp before.stty after.stty && echo TERMINAL-$((6*7))' Enter
check "terminal restored" "TERMINAL-42"
if grep -q '^observe 10000000$' "$TMP/state/bayeslens/history"; then passes=$((passes + 1)); else
    fails=$((fails + 1)); echo "FAIL: history not saved in XDG state dir"; fi

echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
