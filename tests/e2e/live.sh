#!/bin/sh
# End-to-end test of the live screen in tmux, as a lecturer would use it:
# the demo streams with every pane moving, F5 pauses (and the process then
# sleeps: no CPU), F6 steps, the layout follows resizes (down to "terminal
# too small" and back), keys echo while a long command runs, Ctrl-C stops
# streams and commands but never the program, quit leaves a sane terminal.
# Usage: live.sh PATH/TO/bayeslens
SESSION=live CHECK_S=10
. "$(dirname "$0")/tmux.inc"
absent() { # absent DESCRIPTION TEXT [SECONDS]: wait until TEXT has gone
    i=0 limit=$(( ${3:-10} * 10 ))
    while [ $i -lt $limit ]; do
        screen | grep -qF -- "$2" || { ok; return; }
        sleep 0.1; i=$((i + 1))
    done
    bad "$1: '$2' still on screen"
}
n_now() { screen | sed -n 's/.* n=\([0-9][0-9]*\) .*/\1/p' | tail -1; }
# The program's pid: the child of the pane's shell (never found by name).
app_pid() { pgrep -P "$($T display-message -p -t live '#{pane_pid}')" | head -1; }
wait_exit() { # wait until the program has left (up to 10 s)
    i=0
    while [ $i -lt 100 ] && [ -n "$(app_pid)" ]; do sleep 0.1; i=$((i + 1)); done
    [ -z "$(app_pid)" ]
}

$T new-session -d -s live -x 120 -y 40 \
    "env -i HOME=$TMP XDG_STATE_HOME=$TMP/state TERM=xterm-256color LANG=C.UTF-8 PATH=/usr/bin:/bin PS1='$ ' sh"
wait_for '$' 10 || bad "the shell did not start"
text "cd $TMP && stty -g > before.stty && $BIN --demo"; keys Enter
check "demo starts streaming" "streaming 8/s"
for t in "data: fourier" "posterior  w0 x w1" "regret (nats)" "spectrum" "F5 pause" "F6 step"; do
    check "all panes at 120x40" "$t"
done
n1=$(n_now) i=0 n2=$n1
while [ $i -lt 100 ] && { [ -z "$n1" ] || [ -z "$n2" ] || [ "$n2" -le "$n1" ]; }; do
    sleep 0.1; i=$((i + 1)); n2=$(n_now); [ -n "$n1" ] || n1=$n2
done
if [ -n "$n1" ] && [ -n "$n2" ] && [ "$n2" -gt "$n1" ]; then ok; else bad "points arrive ($n1 -> $n2)"; fi
screen | grep -q "⠀\|⡀\|⠁\|⠂\|⠄\|⠈\|⠐\|⠠\|⢀" && ok || bad "braille dots drawn"

keys F5
check "F5 pauses" "paused 8/s"
n1=$(n_now)
pid=$(app_pid)
cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
# Let the last frames after the pause finish: wait (up to 10 s) for a
# quiet half second, so a loaded machine delays the measurement instead of
# failing it. Then measure over a 4 s window: paused, the program sleeps in
# poll(); allow 5 clock ticks (50 ms, 1.25% of one core) for wake-ups.
i=0 c0=$(cpu)
while [ $i -lt 20 ]; do
    sleep 0.5; c1=$(cpu); [ "$c1" = "$c0" ] && break; c0=$c1; i=$((i + 1))
done
c1=$(cpu); sleep 4; c2=$(cpu)
n2=$(n_now)
[ "$n1" = "$n2" ] && ok || bad "paused but n moved ($n1 -> $n2)"
[ $((c2 - c1)) -le 5 ] && ok || bad "idle CPU: $((c2 - c1)) ticks in 4 s"
keys F6
check "F6 steps one point" "n=$((n1 + 1)) "

$T resize-window -t live -x 80 -y 24
absent "80x24 drops regret" "regret (nats)"
check "80x24 keeps data" "data: fourier"
check "80x24 keeps posterior" "posterior  w0"
$T resize-window -t live -x 30 -y 10
check "tiny terminal says the size it needs" "too small (30x10): need 40x12"
$T resize-window -t live -x 160 -y 48
check "grows back" "regret (nats)"
absent "grows back cleanly" "too small"

keys F5; check "F5 resumes" "streaming 8/s"
keys C-c; check "Ctrl-C stops the stream" "stream stopped at n ="
check "still alive" "idle  n="

# Ctrl-C while a network trains (inside a step's pump or between frames):
# one end line, never "stopped" and then "done".
text "model nn width=256 depth=3; train rate=1000"; keys Enter
check "training runs" "training at 1000 steps/s"
sleep 1; keys C-c
check "Ctrl-C stops training" "training stopped, weights kept"
sleep 0.5
screen | grep -qF "training done" && bad "a second end line after Ctrl-C" || ok
text "model blr"; keys Enter
check "back to blr" "model: blr"

text "help keys"; keys Enter
check "help keys" "leave (on an empty line)"
# 15 lines do not fit the 8-line log strip but do fit it grown over half the
# panes: the strip grows (its first line is on screen), no pager.
check "help keys shows whole in the grown log" "keys of the live screen:"
absent "short output opens no pager" "q close"
text "help"; keys Enter
# The whole help does not fit: the pager; q gives the panes back.
check "help opens the pager" "q close"
text "q"
check "q closes the pager" "F5 pause"
text "model blr alpha=-1"; keys Enter
check "one-line error" "error: alpha=-1: must be in 1e-50..1e+50"

# A long command: keys typed meanwhile must echo, Ctrl-C must stop it.
text "observe 5000000"; keys Enter
check "a long command is running" "observe 5000000"
text "show data"
check "typing echoes during a long command" "bayeslens> show data"
keys C-c
check "Ctrl-C stops the command" "interrupted after" 5
screen | grep -q "error: interrupted" && bad "Ctrl-C is reported as an error"
keys Enter
check "the typed line runs afterwards" "last_y = " 5

text "quit"; keys Enter
wait_exit || bad "quit: the program is still running"
text 'stty -g > after.stty; cmp before.stty after.stty && echo TERMINAL-$((6*7))'; keys Enter
check "terminal restored after quit" "TERMINAL-42"

# Fatal signals and SIGTERM restore the terminal too.
for sig in TERM SEGV; do
    text "clear; $BIN"; keys Enter
    check "restart for SIG$sig" "F5 pause"
    p=$(app_pid)
    if [ -n "$p" ]; then kill -$sig "$p"; else bad "no process to signal"; fi
    wait_exit || bad "SIG$sig: the program is still running"
    text "stty -g > after.stty; cmp before.stty after.stty && echo SIG$sig-\$((6*7))"; keys Enter
    check "terminal restored after SIG$sig" "SIG$sig-42"
done

# A resize redraws the whole layout at once, no key pressed: the demo's
# first lines grow the log strip over the panes at 40x12 (a rule, all
# across, on its top); at 100x30 they fit the strip, so the rule is gone and
# the four panes show their bottom borders. (Groups, so that the patterns
# repeat whole characters in any locale.)
rule() { screen | grep -q '^\(─\)\{20,\}$'; }
$T resize-window -t live -x 40 -y 12
text "clear; $BIN --demo"; keys Enter
check "demo at 40x12" "streaming 8/s"
i=0
while [ $i -lt 50 ] && ! rule; do sleep 0.1; i=$((i + 1)); done
rule && ok || bad "40x12: the demo's first lines grow the log strip"
$T resize-window -t live -x 100 -y 30
i=0
while [ $i -lt 100 ]; do
    [ "$(screen | grep -c '└\(─\)*┘└\(─\)*┘')" -ge 2 ] && ! rule && break
    sleep 0.1; i=$((i + 1))
done
[ $i -lt 100 ] && ok || bad "100x30 after 40x12: every pane whole, no grown log strip left over"
keys C-c; text "quit"; keys Enter
wait_exit || bad "quit after the resize: the program is still running"

echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
