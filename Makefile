# Mắt Thần — make demo runs the demo, make test runs every test. Both set up
# what they need on a fresh Debian machine (ffmpeg, GStreamer for interop tests,
# Chromium for the browser tests of the web UI).

GO       ?= go
BIN      := bin/matthan
SUDO     := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PKGS := ffmpeg python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base \
            gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly \
            chromium mosquitto poppler-utils
VERSION  := $(shell git describe --always --dirty 2>/dev/null || echo dev)
# ONNX Runtime for object detection, taken from the npm package (npm pack runs
# no install script) and checked against its known sha256.
ORT_LIB  := third_party/onnxruntime/libonnxruntime.so.1
ORT_PKG  := onnxruntime-node@1.30.0
ORT_SUM  := ffb75a925ba05e47b235bb66e3e3911714a80b328a9c9425539feb204aa32a23

.PHONY: demo test build setup fuzz bench bench-live clean

demo: setup build
	./$(BIN) demo

build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/matthan

# setup installs the system packages the product and its tests use, once.
setup:
	@if ! command -v ffmpeg >/dev/null || ! command -v ffprobe >/dev/null || ! test -x /usr/bin/chromium || \
	    ! test -x /usr/sbin/mosquitto || ! command -v pdftotext >/dev/null || \
	    ! /usr/bin/python3 -c "import gi; gi.require_version('GstRtspServer','1.0')" 2>/dev/null; then \
	  echo "Installing $(APT_PKGS)"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(APT_PKGS); \
	fi
	@# npm and gcc (cgo, for ONNX Runtime) only when missing: the machine's own
	@# Node.js (e.g. from NodeSource) conflicts with Debian's npm package.
	@command -v npm >/dev/null || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq npm; }
	@command -v gcc >/dev/null || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq gcc; }
	@if ! test -f $(ORT_LIB); then \
	  echo "Fetching libonnxruntime.so.1 from $(ORT_PKG)"; tmp=$$(mktemp -d); \
	  (cd $$tmp && npm pack -q $(ORT_PKG) >/dev/null && \
	   tar -xzf onnxruntime-node-*.tgz package/bin/napi-v6/linux/x64/libonnxruntime.so.1) && \
	  echo "$(ORT_SUM)  $$tmp/package/bin/napi-v6/linux/x64/libonnxruntime.so.1" | sha256sum -c --quiet && \
	  mkdir -p $(dir $(ORT_LIB)) && mv $$tmp/package/bin/napi-v6/linux/x64/libonnxruntime.so.1 $(ORT_LIB); \
	  rc=$$?; rm -rf $$tmp; exit $$rc; \
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
