#!/usr/bin/env bash
# Builds bin/matthan and runs the analytics benchmark: the shipped clips
# through pipeline.Camera.Step in-process (motion gating against a detector
# on every frame), then `matthan serve --analytics.enabled` recording and
# analysing N simulated cameras. Arguments go to the orchestrator, e.g.
#   bench/analytics/run.sh                               # both parts, N = 4, 8, 16
#   bench/analytics/run.sh -part inproc -repeat 3
#   bench/analytics/run.sh -part node -nodes 4,8 -window 20s
# See docs/performance.md. Run it on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v ffmpeg >/dev/null || { echo "ffmpeg is needed (make setup installs it)" >&2; exit 1; }
make --no-print-directory build
go build -o bin/bench-analytics ./bench/analytics
exec ./bin/bench-analytics -matthan bin/matthan "$@"
