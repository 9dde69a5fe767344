package testutil

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// ChromiumPath is Debian's chromium, which `make setup` installs.
const ChromiumPath = "/usr/bin/chromium"

// Chromium starts a headless Debian chromium for the test (stopped at its
// end) and returns a context to drive it with chromedp, limited to
// timeout. Uncaught exceptions and console errors of the pages, and the
// browser's own errors (a script that failed to load, an API call answered
// 5xx), are collected in *errs for the test to check with NoPageErrors.
// Without chromium the test fails with a message that says how to get it
// (`make test` runs `make setup` first).
func Chromium(t *testing.T, timeout time.Duration) (ctx context.Context, errs *Logs) {
	t.Helper()
	if _, err := os.Stat(ChromiumPath); err != nil {
		t.Fatal("Debian's chromium is not installed: run `make setup`: ", err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(ChromiumPath),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.WindowSize(1920, 1080),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// The first action starts the browser; it must not run under a
	// timeout, which would stop the whole browser when it fires.
	if err := chromedp.Do(bctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal("start chromium: ", err)
	}
	errs = &Logs{}
	// One line a message, so that NoPageErrors can tell them apart.
	report := func(kind, msg string) {
		errs.Write([]byte(kind + ": " + strings.Join(strings.Fields(msg), " ") + "\n"))
	}
	fetches := map[network.RequestID]bool{} // the requests scripts made; events come one at a time
	if err := chromedp.Listen(bctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			msg := d.Text + " " + d.URL
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
			report("exception", msg)
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				var msg []string
				for _, a := range ev.Args {
					if a.Value != nil {
						msg = append(msg, string(a.Value))
					} else {
						msg = append(msg, a.Description)
					}
				}
				report("console.error", strings.Join(msg, " "))
			}
		case *network.EventRequestWillBeSent:
			if ev.Type == network.ResourceTypeFetch || ev.Type == network.ResourceTypeXHR {
				fetches[ev.RequestID] = true
			}
		case *log.EventEntryAdded:
			// The browser's own errors, such as a script that failed to
			// load or an API call answered 5xx. A 4xx answer to a script's
			// request is an answer it reads (a wrong password), no error.
			e := ev.Entry
			answered := fetches[e.NetworkRequestID] && strings.Contains(e.Text, "status of 4")
			if e.Level == log.EntryLevelError && !answered {
				report("browser", e.Text+" "+e.URL)
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	ctx, cancelTimeout := context.WithTimeout(bctx, timeout)
	t.Cleanup(cancelTimeout)
	return ctx, errs
}

// NoPageErrors fails the test for each error that the pages reported into
// errs (see Chromium), but those that contain one of ignore.
func NoPageErrors(t testing.TB, errs *Logs, ignore ...string) {
	t.Helper()
	time.Sleep(100 * time.Millisecond) // let late messages arrive
	for _, line := range strings.Split(strings.TrimSpace(errs.String()), "\n") {
		if line != "" && !slices.ContainsFunc(ignore, func(s string) bool { return strings.Contains(line, s) }) {
			t.Errorf("page error: %s", line)
		}
	}
}

// ScreenshotOption changes what Screenshot captures.
type ScreenshotOption int

// FullPage captures the whole page, also what is scrolled out of the window.
const FullPage ScreenshotOption = 1

// Screenshot saves a PNG of the page as name.png in the directory named by
// $MATTHAN_SCREENSHOTS, when it is set (the README's pictures are made so).
func Screenshot(t *testing.T, ctx context.Context, name string, opts ...ScreenshotOption) {
	t.Helper()
	dir := os.Getenv("MATTHAN_SCREENSHOTS")
	if dir == "" {
		return
	}
	capture := chromedp.CaptureScreenshot()
	if slices.Contains(opts, FullPage) {
		capture = chromedp.FullScreenshot(100) // quality 100 is PNG
	}
	png, err := chromedp.Run(ctx, capture)
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
