#!/bin/sh
# No circle between files: the include graph of the sources, with X.c and
# X.h as one node, must be acyclic (tsort finds a loop otherwise).
# Usage: graph.sh SOURCE_ROOT
root=${1:-.}
cd "$root" || exit 2
edges=$(for f in $(find core datasets commands ui -name '*.[ch]' | sort); do
    node=${f%.*}
    echo "$node $node"
    sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)\.h".*/\1/p' "$f" |
        while read -r dep; do [ "$dep" != "$node" ] && echo "$node $dep"; done
done)
out=$(echo "$edges" | tsort 2>&1 >/dev/null)
if [ -n "$out" ]; then
    echo "include graph has a circle:"; echo "$out"; exit 1
fi
if grep -rn '#[[:space:]]*include[[:space:]]*"\.\./' core datasets commands ui; then
    echo "relative upward include (bypasses the layering)"; exit 1
fi
n=$(echo "$edges" | wc -l)
echo "1 passed, 0 failed  ($n edges, no circle)"
