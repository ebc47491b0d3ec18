#!/bin/sh
# Writing files (issue 10; docs/robustness.md): exports and screenshots
# replace only regular files, through a temporary renamed into place; a
# symlink is followed and survives, a FIFO or device is refused without
# being opened (no blocking), an existing file keeps its mode, "-" and
# /dev/stdout print, errors name the path and the system's reason (ENOSPC on
# a tiny tmpfs, EACCES in a read-only directory or for a read-only file), and a failed export leaves
# neither a partial file nor a temporary. Runs as root on CI: every path is
# inside the build tree; /dev entries are only stat'ed.
# Usage: files.sh PATH/TO/bayeslens
set -u
BIN=$(readlink -f "$1")
W=$(dirname "$BIN")/e2e_files
rm -rf "$W"; mkdir -p "$W"
trap 'rm -rf "$W"' EXIT
cd "$W" || exit 1
passes=0 fails=0
ok() { passes=$((passes + 1)); }
bad() { fails=$((fails + 1)); echo "FAIL: $1"; }
expect() { # expect DESCRIPTION WANT_STATUS WANT_TEXT COMMAND...
    desc=$1 want=$2 text=$3
    shift 3
    out=$(timeout 20 "$@" 2>&1)
    st=$?
    if [ "$st" = "$want" ] && { [ -z "$text" ] || printf "%s" "$out" | grep -qF -- "$text"; }; then
        ok
    else
        bad "$desc: status $st (want $want), output:"; printf '%s\n' "$out"
    fi
}
P='seed 1; data linear d=1; model blr; observe 3'
no_temps() { # no_temps DIR: no .NAME.XXXXXX left behind
    if ls -A "$1" | grep -q '^\..*\.[A-Za-z0-9]\{6\}$'; then bad "temporary left in $1: $(ls -A "$1")"; else ok; fi
}

# A symbolic link: the file it points to is replaced, the link stays.
echo old > real.csv
ln -s real.csv link.csv
expect "export through a symlink" 0 "wrote 3 rows to link.csv" "$BIN" -e "$P; export stream link.csv"
[ -L link.csv ] && ok || bad "symlink replaced by a file"
grep -q '^x0,y$' real.csv && ok || bad "symlink target not written"
ln -s nowhere dangling.csv
expect "dangling symlink refused" 1 "dangling.csv: a symbolic link to nothing" \
    "$BIN" -e "$P; export stream dangling.csv"
[ -L dangling.csv ] && [ ! -e nowhere ] && ok || bad "dangling symlink touched"

# A FIFO: refused at once (opening it would block), still a FIFO.
mkfifo fifo
expect "FIFO refused, not blocking" 1 "fifo: a FIFO; only regular files are replaced" \
    "$BIN" -e "$P; export stream fifo"
[ -p fifo ] && ok || bad "FIFO replaced"
expect "screenshot to a FIFO refused" 1 "fifo: a FIFO" "$BIN" -e "$P; screenshot fifo"
expect "a directory refused" 1 ".: a directory" "$BIN" -e "$P; export stream ."
if [ "$(id -u)" = 0 ]; then
    # A device node of our own (never a real /dev entry: a regression
    # would replace it).
    mknod dev c 1 3
    expect "a device refused" 1 "dev: a character device" "$BIN" -e "$P; export stream dev"
    [ -c dev ] && ok || bad "device node replaced"
fi

# Mode 600 stays 600; a new file gets 0666 less the umask.
echo old > secret.csv; chmod 600 secret.csv
expect "export over a mode-600 file" 0 "wrote 3 rows" "$BIN" -e "$P; export stream secret.csv"
[ "$(stat -c %a secret.csv)" = 600 ] && ok || bad "mode became $(stat -c %a secret.csv)"
(umask 027; "$BIN" -e "$P; screenshot new.txt" >/dev/null 2>&1)
[ "$(stat -c %a new.txt)" = 640 ] && ok || bad "new file mode $(stat -c %a new.txt), want 640"
no_temps .

# Standard output.
expect "export to -" 0 "0.0085167924" "$BIN" -e "$P; export stream -"
# /dev/stdout, in a private mount namespace whose /dev is a directory of the
# build tree: a regression replaces that link, not the machine's.
if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
    mkdir fakedev; ln -s /proc/self/fd/1 fakedev/stdout; mknod -m 666 fakedev/null c 1 3
    n=$(timeout 20 unshare -m sh -c "mount --bind '$W/fakedev' /dev &&
        '$BIN' -e '$P; export stream /dev/stdout' 2>/dev/null | grep -c '^-*[0-9]'")
    [ "$n" = 3 ] && ok || bad "/dev/stdout: $n data rows printed, want 3"
    [ -L fakedev/stdout ] && ok || bad "/dev/stdout replaced"
else
    echo "skip: /dev/stdout (needs root and unshare -m)"
fi

# A missing directory, a read-only directory (as an unprivileged user: root
# ignores permission bits).
expect "missing directory" 1 "nodir/x.csv: cannot create a file in nodir (No such file or directory)" \
    "$BIN" -e "$P; export stream nodir/x.csv"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1; then
    mkdir ro; echo old > ro/w.csv; chmod 666 ro/w.csv; chmod 555 ro; chmod 755 .
    expect "read-only directory named" 1 "ro/w.csv: cannot create a file in ro (Permission denied)" \
        setpriv --reuid=65534 --regid=65534 --clear-groups "$BIN" -e "$P; export stream ro/w.csv"
    [ "$(cat ro/w.csv)" = old ] && ok || bad "read-only dir: target changed"
    chmod 755 ro
    # A file the user may not write, in a directory they may: the rename
    # would replace it, so it is refused as the shell's > refuses it.
    mkdir rw; chmod 777 rw; echo old > rw/ro.csv; chmod 444 rw/ro.csv
    expect "read-only file named" 1 "rw/ro.csv: Permission denied" \
        setpriv --reuid=65534 --regid=65534 --clear-groups "$BIN" -e "$P; export stream rw/ro.csv"
    [ "$(cat rw/ro.csv)" = old ] && ok || bad "read-only file: replaced"
    expect "read-only file, screenshot" 1 "rw/ro.csv: Permission denied" \
        setpriv --reuid=65534 --regid=65534 --clear-groups "$BIN" -e "$P; screenshot rw/ro.csv"
    no_temps rw
elif [ "$(id -u)" != 0 ]; then
    mkdir ro; echo old > ro/w.csv; chmod 555 ro
    expect "read-only directory named" 1 "cannot create a file in ro (Permission denied)" \
        "$BIN" -e "$P; export stream ro/w.csv"
    chmod 755 ro
else
    echo "skip: read-only directory (no setpriv)"
fi

# No space left: a 16 KiB tmpfs in a private mount namespace (root only).
mkdir full
if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
    out=$(timeout 20 unshare -m sh -c "mount -t tmpfs -o size=16k tmpfs full &&
        echo old > full/x.csv &&
        '$BIN' -e '$P; observe 3000; export stream full/x.csv'; echo status=\$?;
        cat full/x.csv; ls -A full" 2>&1)
    printf "%s" "$out" | grep -qF "full/x.csv: No space left on device" && ok ||
        bad "ENOSPC not named: $out"
    printf "%s" "$out" | grep -qF "status=1" && ok || bad "ENOSPC: status: $out"
    [ "$(printf "%s\n" "$out" | tail -2 | tr '\n' ' ')" = "old x.csv " ] && ok ||
        bad "ENOSPC: target not intact or temporary left: $out"
else
    echo "skip: ENOSPC (needs root and unshare -m)"
fi

echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
