#!/usr/bin/env bash
# Builds bin/matthan and runs the live-view benchmark: glass-to-glass
# latency in headless Chromium (WebRTC and MSE, sub and main stream), then
# how many concurrent WebRTC viewers one core of the node serves.
# Arguments go to the orchestrator, e.g.
#   bench/live/run.sh                                   # both parts, 3 rounds
#   bench/live/run.sh -mode latency -latency-window 30s
#   bench/live/run.sh -mode viewers -viewers 10,50,100 -streams sub
# See docs/performance.md ("Live view").
# The latency part needs Chromium (make setup installs Debian's package).
# Run it on a quiet machine: other work on the cores skews the figures.
set -euo pipefail
cd "$(dirname "$0")/../.."
make --no-print-directory build
go build -o bin/bench-live ./bench/live
exec ./bin/bench-live -matthan bin/matthan "$@"
