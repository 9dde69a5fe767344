# Mắt Thần — make demo runs the demo, make test runs every test. Both set up
# what they need on a fresh Debian machine (ffmpeg, GStreamer for interop tests,
# Chromium for the browser tests of the web UI).

GO       ?= go
BIN      := bin/matthan
SUDO     := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PKGS := ffmpeg python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base \
            gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly \
            chromium
VERSION  := $(shell git describe --always --dirty 2>/dev/null || echo dev)

.PHONY: demo test build setup fuzz bench bench-live clean

demo: setup build
	./$(BIN) demo

build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/matthan

# setup installs the system packages the product and its tests use, once.
setup:
	@if ! command -v ffmpeg >/dev/null || ! command -v ffprobe >/dev/null || ! test -x /usr/bin/chromium || \
	    ! /usr/bin/python3 -c "import gi; gi.require_version('GstRtspServer','1.0')" 2>/dev/null; then \
	  echo "Installing $(APT_PKGS)"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(APT_PKGS); \
	fi

test: setup
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 20m ./...
	./scripts/fuzz-brief.sh 4s

fuzz:
	./scripts/fuzz-brief.sh 60s

bench: setup build
	./bench/ingest/run.sh

bench-live: setup build
	./bench/live/run.sh

clean:
	rm -rf bin
