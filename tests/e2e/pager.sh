#!/bin/sh
# The live screen at 80x24 (a four-line log): help opens the full-screen
# pager, which pages (space, PgUp, End, Home), searches (/ and n), closes
# with q and gives the panes back; many completions are listed in columns
# (kernel names from the kernel table); F-keys without a binding type
# nothing, while Delete, Home, End and Insert keep working in the prompt;
# the log's [+N] marker leaves the text readable.
# Usage: pager.sh PATH/TO/bayeslens
SESSION=pg
. "$(dirname "$0")/tmux.inc"
absent() { if screen | grep -qF -- "$2"; then bad "$1: '$2' still on screen"; else ok; fi; }
prompt_is() { # prompt_is DESCRIPTION TEXT: the input row reads exactly TEXT
    sleep 0.4
    got=$(screen | grep '^bayeslens> ' | tail -1 | sed 's/ *$//')
    [ "$got" = "bayeslens> $2" ] && ok || bad "$1: prompt is '$got'"
}
last_row() { screen | tail -1; }

$T new-session -d -s pg -x 80 -y 24 \
    "env -i HOME=$TMP XDG_STATE_HOME=$TMP/state TERM=xterm-256color LANG=C.UTF-8 PATH=/usr/bin:/bin $BIN"
check "live screen" "F1 keys"

text "help"; keys Enter
check "help opens the pager" "q close  /search  n next"
check "pager shows the first page" "lines 1-23/"
absent "the panes are gone" "F1 keys  F2 focus"
keys Space
check "space pages down" "try: data linear d=1"
absent "space pages down (first line gone)" "commands (unique prefixes work"
keys PPage
check "PgUp pages back" "commands (unique prefixes work"
keys End
check "End goes to the last line" "try: data linear d=1"
keys Home
check "Home goes back to the top" "lines 1-23/"
text "/"
text "comment"
check "the search is typed on the status line" "/comment"
keys Enter
check "search jumps to the match" "'#' starts a comment"
text "n"
check "n wraps to the only match" "search wrapped around"
text "/"; text "zzzqqq"; keys Enter
check "a search that finds nothing says so" "pattern not found: zzzqqq"
text "q"
check "q gives the panes back" "F1 keys  F2 focus"
absent "the pager is closed" "q close  /search"
check "the help is still in the log" "try: data linear d=1"

keys PPage
sleep 0.3
row=$(screen | grep -F '[+' | head -1)
case $row in
    *" [+"*) ok ;;
    *) bad "[+N] marker is not set off from the text: '$row'" ;;
esac
keys NPage

# Completions in columns (the kernel names come from the kernel table).
text "model gp kernel="; keys Tab Tab
check "kernel names listed" "matern32("
check "kernel names in columns" "rbf("
keys C-u
text "model gp kernel=rbf("; keys Tab Tab
check "a leaf's keys" "ls="
keys C-u
text "h"; keys Tab Tab
check "many completions: one column layout in the log" "help"
# All the verbs (26 with compare and sweep) may not fit the log at this
# size: then they open the pager, which q closes; where they fit, q lands in
# the prompt and C-u clears it with the rest.
keys q C-u

# F-keys without a binding type nothing; editing keys still work.
text "ab"; keys F4 F9 F10 F11 F12 S-F12 C-F5
prompt_is "unbound F-keys type nothing" "ab"
keys C-u
text "1234"; keys Left Left DC
prompt_is "Delete deletes under the cursor" "124"
keys Home; text "h"; keys End; text "e"
prompt_is "Home and End" "h124e"
keys Left Left IC DC
prompt_is "Insert then Delete: no escape text" "h12e"
keys C-u

text "quit"; keys Enter
sleep 0.5

echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
