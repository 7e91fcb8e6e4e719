#!/usr/bin/env bash
# Photo processing time against vipsthumbnail (a benchmark, not a test).
#
#     scripts/bench-images.sh [photo.jpg]
#
# Without an argument it makes a 4000x3000 JPEG of about 5 MB (noisy, so it
# is as hard to decode as a real phone photo of that size). Then it times
#   1. vipsthumbnail (Debian libvips-tools) making the same two sizes we
#      store: a 1600 px large and a 400 px thumbnail, JPEG q82, metadata
#      stripped — median of 5 runs of both commands;
#   2. upload::process_image (decode with limits, orientation, both sizes,
#      JPEG encode) in a release build — `cargo bench --bench images`.
# Target: ours <= 2x vipsthumbnail.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v vipsthumbnail >/dev/null || apt-get install -y -qq libvips-tools
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
photo=${1:-}
if [[ -z "$photo" ]]; then
  photo=$work/photo.jpg
  vips gaussnoise "$work/n.v" 4000 3000 --sigma 40 --mean 128
  vips gaussblur "$work/n.v" "$work/b.v" 1.2
  vips xyz "$work/xy.v" 4000 3000
  vips extract_band "$work/xy.v" "$work/x.v" 0
  vips linear "$work/x.v" "$work/xl.v" 0.05 20
  vips bandjoin "$work/b.v $work/xl.v $work/b.v" "$work/rgb.v"
  vips cast "$work/rgb.v" "$work/rgbu.v" uchar
  vips copy "$work/rgbu.v" "$photo[Q=94]"
fi
echo "photo: $(vipsheader "$photo") $(stat -c %s "$photo") bytes"

times=()
for _ in 1 2 3 4 5; do
  start=$(date +%s.%N)
  vipsthumbnail "$photo" -s 1600 -o "$work/large.jpg[Q=82,strip]"
  vipsthumbnail "$photo" -s 400 -o "$work/thumb.jpg[Q=82,strip]"
  end=$(date +%s.%N)
  times+=("$(echo "$end - $start" | bc)")
done
vips_median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p)

ours=$(cargo bench --quiet --bench images -- "$photo" 5 | awk '/median_seconds/ {print $2}')
ratio=$(echo "scale=2; $ours / $vips_median" | bc)
printf 'vipsthumbnail (both sizes): %.3f s\n' "$vips_median"
printf 'daytona process_image:      %.3f s  (%.2fx vipsthumbnail, target <= 2x)\n' "$ours" "$ratio"
if (( $(echo "$ratio <= 2" | bc) )); then echo PASS; else echo FAIL; exit 1; fi
