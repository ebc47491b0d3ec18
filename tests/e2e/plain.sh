#!/bin/sh
# The plain interactive REPL (--plain, no curses) paces jobs as text: stream
# without n= runs at its rate with a progress line about once a second, the
# prompt stays usable while it runs, Ctrl-C stops it and keeps the line
# being typed, sample N rate=R is paced too; F-keys type nothing and no
# hint names one; batch still refuses stream without n=; help wraps at
# blanks to the terminal's width.
# Usage: plain.sh PATH/TO/bayeslens
SESSION=plain
. "$(dirname "$0")/tmux.inc"

$T new-session -d -s plain -x 100 -y 40 \
    "env -i HOME=$TMP XDG_STATE_HOME=$TMP/state TERM=xterm-256color PATH=/usr/bin:/bin $BIN --plain"
check "banner" "type 'help' for commands"
text "seed 1; data linear d=2; model blr; stream rate=20"; keys Enter
check "stream is paced, not refused" "streaming at 20/s ('pause' to pause, Ctrl-C to stop)"
# No F-keys here: no hint names one.
fkey=$(screen | grep -c "F5")
[ "$fkey" -eq 0 ] && ok || bad "a plain hint names F5"
absent_refusal=$(screen | grep -c "give n= in batch mode")
[ "$absent_refusal" -eq 0 ] && ok || bad "plain mode refused stream"
check "a progress line" "streaming: n = " 4
# About 20 points a second: after ~3 s the count is well past 20, far below 1000.
sleep 2.5
n=$(screen | sed -n 's/^streaming: n = \([0-9]*\)$/\1/p' | tail -1)
if [ -n "$n" ] && [ "$n" -ge 30 ] && [ "$n" -le 200 ]; then ok; else bad "paced count ($n)"; fi
lines=$(screen | grep -c "^streaming: n = ")
[ "$lines" -ge 2 ] && [ "$lines" -le 6 ] && ok || bad "about one progress line a second ($lines)"
text "show da"
keys C-c
check "Ctrl-C stops the stream" "stream stopped at n = "
text "ta"; keys Enter
check "the typed line stayed" "in_dim = 2"
text "stream n=10 rate=50"; keys Enter
check "stream n= ends by itself" "stream done (n = "
text "stream n=1000 rate=5"; keys Enter
check "stream n= hint" "streaming 1000 points at 5/s ('pause' to pause, Ctrl-C to stop)"
text "pause"; keys Enter
check "pause hint" "paused ('resume' to go on, 'step' for one more)"
keys C-c; sleep 0.3
stops=$(screen | grep -c "stream stopped at n = ")
[ "$stops" -eq 2 ] && ok || bad "Ctrl-C stops a paused stream ($stops stops)"
text "sampler hmc"; keys Enter
check "sampler hint names the command" "step through it: step; run it: sample 5000 rate=200"
# No panes, no F-keys here: the hints do not mention them.
screen | grep -q "layout sampler\|(F6)" && bad "plain mode's sampler hint names a layout or F6" || ok
text "sample 200 rate=100"; keys Enter
check "sample is paced" "sampling at 100/s ('pause' pauses, 'step' steps, Ctrl-C stops)"
check "sample ends with its summary" "hmc: 200 iterations" 10
# F-keys type nothing in the plain REPL either.
text "ab"; keys F4 F9 F12 S-F5 C-F12; text "c"; sleep 0.4
row=$(screen | grep '^bayeslens> ' | tail -1 | sed 's/ *$//')
[ "$row" = "bayeslens> abc" ] && ok || bad "F-keys typed something: '$row'"
keys C-u
keys C-d
sleep 0.3

# TERM=dumb at 80 columns: help wraps at blanks to the width less one, key
# lines continuing under their description, never mid-word.
$T new-session -d -s dumb -x 80 -y 60 \
    "env -i HOME=$TMP XDG_STATE_HOME=$TMP/state TERM=dumb PATH=/usr/bin:/bin $BIN"
SESSION=dumb
check "dumb banner" "type 'help' for commands"
text "help data"; keys Enter
check "help wraps at a blank" "  prior. A file that cannot be loaded changes nothing."
check "a key line continues under its text" "                         0.1; in 0..1000000)"
wide=$(screen | awk 'length($0) > 79' | wc -l)
[ "$wide" -eq 0 ] && ok || bad "help rows wider than 79 columns ($wide)"
keys C-d
sleep 0.3
SESSION=plain

out=$("$BIN" -e 'data linear; model blr; stream rate=20' 2>&1)
case $out in *"give n= in batch mode"*) ok ;; *) bad "batch refuses stream without n= ($out)" ;; esac

echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
