# The one machine-readable line each bench script prints per measure, at
# its end, after its human output; bench/all.sh reads only these:
#
#   RESULT <bench> <measure> <ours> <reference> <ratio> <target>
#
# <measure> names its unit (run_ms, idle_rss_mb, stripped_bytes...);
# <ours> and <reference> are plain numbers in that unit, or "-" when there
# is none (a missing <ours> fails its target); <ratio> is ours/reference
# to three places or "-"; <target> is "ratio<=X" or "ours<=X", or "-" for
# a figure shown without a target. Fields never contain spaces. POSIX sh,
# for runtime.sh.
#
# result BENCH MEASURE OURS REFERENCE TARGET
result() {
    awk -v bench="$1" -v measure="$2" -v ours="$3" -v ref="$4" -v target="$5" 'BEGIN {
        number = "^-?[0-9]+([.][0-9]+)?$"
        ratio = (ours !~ number || ref !~ number || ref + 0 == 0) ? "-" : sprintf("%.3f", ours / ref)
        printf "RESULT %s %s %s %s %s %s\n", bench, measure, ours, ref, ratio, target
    }'
}
