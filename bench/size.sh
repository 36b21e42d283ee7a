#!/usr/bin/env bash
# Our stripped binary beside the Docker binaries it replaces, with ratios.
# Budget: dockbox stays under 8 MB (8,000,000 bytes); exits 1 when over.
#
#   bench/size.sh            sizes only
#   bench/size.sh --crates   also the per-crate table of `cargo bloat`
#                            (cargo install cargo-bloat; it relinks an
#                            unstripped release build, which takes minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
# DOCKBOX=path/to/dockbox bench/size.sh measures that binary instead.
ours=${DOCKBOX:-target/x86_64-unknown-linux-gnu/release/dockbox}
[ -n "${DOCKBOX:-}" ] || [ -f "$ours" ] || cargo build --release --quiet
budget=8000000
size_of() { stat -c %s "$1"; }
# Stripped sizes, measured on a copy so nothing installed is touched.
stripped_size() {
    local copy
    copy=$(mktemp)
    cp "$1" "$copy"
    strip "$copy" 2>/dev/null || true
    size_of "$copy"
    rm -f "$copy"
}
ours_size=$(stripped_size "$ours")
printf '%-24s %12s %8s  %s\n' binary bytes ours/it path
printf '%-24s %12d %8s  %s\n' dockbox "$ours_size" 1.000 "$ours"
total=0
for name in docker dockerd containerd containerd-shim-runc-v2 runc; do
    path=$(PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin command -v "$name" || true)
    # Skip our own links if dockbox is installed under that name.
    if [ -z "$path" ] || cmp -s "$path" "$ours"; then
        for candidate in /usr/sbin/$name /usr/bin/$name; do
            [ -f "$candidate" ] && ! cmp -s "$candidate" "$ours" && path=$candidate && break
        done
    fi
    if [ -z "$path" ] || cmp -s "$path" "$ours"; then
        printf '%-24s %12s\n' "$name" "not installed"
        continue
    fi
    size=$(stripped_size "$path")
    total=$((total + size))
    printf '%-24s %12d %8s  %s\n' "$name" "$size" "$(awk -v a="$ours_size" -v b="$size" 'BEGIN{printf "%.3f", a/b}')" "$path"
done
if [ "$total" -gt 0 ]; then
    printf '%-24s %12d %8s\n' "all of the above" "$total" "$(awk -v a="$ours_size" -v b="$total" 'BEGIN{printf "%.3f", a/b}')"
fi
if [ "${1:-}" = --crates ]; then
    if command -v cargo-bloat >/dev/null; then
        # Symbols are needed to attribute bytes; shares of the unstripped
        # text section, which is most of the stripped file.
        echo
        CARGO_PROFILE_RELEASE_STRIP=false cargo bloat --release --crates -n 30 --quiet
    else
        echo "no per-crate table: cargo-bloat is not installed (cargo install cargo-bloat)"
    fi
fi
echo "dockbox stripped size: $ours_size bytes (budget $budget)"
# shellcheck source=bench/lib/result.sh
. bench/lib/result.sh
# The reference: every Docker binary found above, together.
result size stripped_bytes "$ours_size" "$([ "$total" -gt 0 ] && echo "$total" || echo -)" "ours<=$budget"
[ "$ours_size" -lt "$budget" ] || { echo "size budget exceeded" >&2; exit 1; }
