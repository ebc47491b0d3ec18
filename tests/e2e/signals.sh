#!/bin/sh
# SIGTERM and SIGHUP end the program in every mode, also during a long
# command (issue 10; docs/robustness.md): the command stops at its next
# poll, the terminal is restored (stty state as before, the alternate screen
# left) and the exit status is 128 + the signal (143, 129).
# Usage: signals.sh PATH/TO/bayeslens
SESSION=sig
. "$(dirname "$0")/tmux.inc"
# The program's screen may be gone by the time a check fails: its tail.
bad() { fails=$((fails + 1)); echo "FAIL: $1"; $T capture-pane -p -t sig 2>/dev/null | tail -8; }
wait_file() { # wait_file FILE [SECONDS]
    i=0 limit=$(( ${2:-10} * 10 ))
    while [ $i -lt $limit ]; do [ -s "$1" ] && return 0; sleep 0.1; i=$((i + 1)); done
    return 1
}
# A command that runs for over a minute in about 300 MB: evidence
# optimization of a GP on 3000 points (it polls the cancel flag and pumps).
LONG='data linear d=1; observe 3000; model gp; optimize'

$T new-session -d -s sig -x 100 -y 30 \
    "env -i HOME=$TMP XDG_STATE_HOME=$TMP/state TERM=xterm-256color LANG=C.UTF-8 PATH=/usr/bin:/bin sh"
sleep 0.3
text "cd $TMP && stty -g > before.stty"; keys Enter

# mode SIG OPTION: start bayeslens with OPTION in tmux, run the long
# command, send SIG while it runs, check status, stty and the screen.
run() {
    sig=$1 opt=$2 want=$3
    rm -f "$TMP/pid" "$TMP/status" "$TMP/after.stty"
    text "clear; sh -c 'echo \$\$ > pid; exec $BIN $opt'; echo \$? > status; stty -g > after.stty"
    keys Enter
    wait_file "$TMP/pid" 5 || { bad "$opt: no pid"; return; }
    sleep 1
    text "$LONG"; keys Enter
    sleep 1.5
    if [ "$opt" = --no-color ]; then
        wait_for " running " 3 && ok || bad "status line during a long command"
    fi
    pid=$(cat "$TMP/pid")
    kill -0 "$pid" 2>/dev/null || { bad "$opt: exited before SIG$sig"; return; }
    kill -"$sig" "$pid"
    if wait_file "$TMP/status" 10; then
        st=$(cat "$TMP/status")
        [ "$st" = "$want" ] && ok || bad "$opt SIG$sig during a command: status $st, want $want"
    else
        bad "$opt SIG$sig during a command: still running after 10 s"
        kill -KILL "$pid" 2>/dev/null
        return
    fi
    wait_file "$TMP/after.stty" 5
    cmp -s "$TMP/before.stty" "$TMP/after.stty" && ok || bad "$opt SIG$sig: stty state changed"
    [ "$($T display -p -t sig '#{alternate_on}')" = 0 ] && ok || bad "$opt SIG$sig: alternate screen on"
}
run TERM --no-color 143
run HUP --no-color 129
run TERM --plain 143

# Live, idle: SIGTERM at the prompt.
rm -f "$TMP/pid" "$TMP/status" "$TMP/after.stty"
text "clear; sh -c 'echo \$\$ > pid; exec $BIN --no-color'; echo \$? > status; stty -g > after.stty"
keys Enter
wait_file "$TMP/pid" 5 && sleep 1
kill -TERM "$(cat "$TMP/pid")"
if wait_file "$TMP/status" 10; then
    [ "$(cat "$TMP/status")" = 143 ] && ok || bad "idle SIGTERM: status $(cat "$TMP/status")"
else
    bad "idle SIGTERM: still running"
fi

# Batch: SIGTERM and SIGHUP during a long command.
for s in TERM:143 HUP:129; do
    sig=${s%:*} want=${s#*:}
    "$BIN" -e "$LONG" > "$TMP/out" 2>&1 &
    p=$!
    sleep 1.5
    kill -"$sig" $p
    i=0; while kill -0 $p 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    if kill -0 $p 2>/dev/null; then
        bad "batch SIG$sig: still running"; kill -KILL $p
    else
        wait $p; st=$?
        [ "$st" = "$want" ] && ok || bad "batch SIG$sig: status $st, want $want: $(cat "$TMP/out")"
        grep -q "ended by signal" "$TMP/out" && ok || bad "batch SIG$sig: no note: $(cat "$TMP/out")"
    fi
done

echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
