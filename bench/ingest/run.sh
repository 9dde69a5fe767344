#!/usr/bin/env bash
# Builds bin/matthan and runs the ingest benchmark: N simulated 1080p25
# 4 Mbit/s cameras pulled by one `matthan serve`, then by one ffmpeg per
# camera, in the same run. Arguments go to the orchestrator, e.g.
#   bench/ingest/run.sh                          # 100 streams, 3 rounds, nothing written
#   bench/ingest/run.sh -streams 10 -window 10s -repeat 1
#   bench/ingest/run.sh -mode record             # both sides record to disk; export timed
# See docs/performance.md.
# Run it on a quiet machine: other work on the cores skews both sides.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v ffmpeg >/dev/null || { echo "ffmpeg is needed (make setup installs it)" >&2; exit 1; }
make --no-print-directory build
go build -o bin/bench-ingest ./bench/ingest
exec ./bin/bench-ingest -matthan bin/matthan "$@"
