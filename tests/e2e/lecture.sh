#!/bin/sh
# A lecture in the live screen (tmux, 80x24), as a lecturer gives it:
# `source examples/sequential.lens` shows its first caption above the panes
# and stops at its first pause (the hint line says how to go on); space goes
# through two pauses, each with its caption; Esc stops the script halfway and
# the session stays usable (a typed command answers). Ctrl-C stops a lecture
# that waits for a job. Then every example in one live session, one after
# another, keys pressed until each says "end of NAME.lens", with no error:
# every example starts with reset, and each waits for its sample, run or
# stream (the `show` after them sees the finished run).
# Usage: lecture.sh PATH/TO/bayeslens
SESSION=lec CHECK_S=20
. "$(dirname "$0")/tmux.inc"
EX=$(cd "$(dirname "$0")/../../examples" && pwd)
absent() { # absent DESCRIPTION TEXT: TEXT is not on the screen now
    if screen | grep -qF -- "$2"; then bad "$1: '$2' on screen"; else ok; fi
}

$T new-session -d -s lec -x 80 -y 24 \
    "env -i HOME=$TMP XDG_STATE_HOME=$TMP/state TERM=xterm-256color LANG=C.UTF-8 PATH=/usr/bin:/bin sh -c 'cd $EX && $BIN'"
check "live screen" "F1 keys"

text "source sequential.lens"; keys Enter
# The first caption is replaced within a few frames: the one at the pause stays.
check "at a pause the caption of that step" "One point: the posterior is still wide"
row=$(screen | grep -n "One point: the posterior is still wide" | head -1 | cut -d: -f1)
[ "$row" = 1 ] && ok || bad "the caption is on the first row, above the panes (row $row)"
check "the hint line says how to go on" "space/Enter go on  Esc/q stop the script"
absent "the lecture holds at its pause" "Ten points"
keys Space
check "space goes on to the next pause" "Ten points: the posterior ellipse shrinks"
check "the command's output is in the log" "regret_closed_form = "
keys Space
check "space again" "A hundred points"
keys Escape
check "Esc stops the script halfway" "lecture stopped at sequential.lens:"
check "the hint line is back" "F1 keys  F2 focus"
absent "the caption is gone" "A hundred points: the regret"
text "show model"; keys Enter
check "the session is usable" "truth_in_model = yes"
text "observe 5"; keys Enter
check "and goes on from where the lecture stopped" "observed 5 points (n = 105)"

# Ctrl-C while the lecture waits for a job: script and job stop, prompt back.
text "source lens.lens"; keys Enter
check "lens lecture" "The universality lens"
check "it waits for its run" "any key skip to its end"
keys C-c
check "Ctrl-C stops the lecture" "lecture stopped at lens.lens:"
check "and the run" "run stopped"
text "show lens"; keys Enter
check "the session answers after Ctrl-C" "instrument = lens"
# 13 lines at 80x24 open the pager: q closes it.
if screen | grep -qF "q close"; then text "q"; fi
check "the panes are back" "F1 keys  F2 focus"

# Every example, one after another in this one session.
for f in $(cd "$EX" && ls *.lens | LC_ALL=C sort); do
    text "source $f"; keys Enter
    i=0 done=no
    while [ $i -lt 600 ]; do
        s=$(screen)
        case $s in *"end of $f"*) done=yes; break ;; esac
        case $s in *"error:"*) break ;; esac
        keys Space
        sleep 0.2; i=$((i + 1))
    done
    if [ $done = yes ]; then ok; else bad "$f did not run to its end in one live session"; fi
    if [ "$f" = hmc.lens ]; then
        text "show sampler"; keys Enter
        check "hmc: show sees the finished run" "iterations = 2000"
        if screen | grep -qF "q close"; then text "q"; fi
        check "the panes are back after show sampler" "F1 keys  F2 focus"
    fi
done
text "quit"; keys Enter

echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
