package web

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// watchExceptions fails the test when a script of the page throws an
// uncaught exception (or a promise rejection nobody handles). Call it
// before the first navigation.
func watchExceptions(t *testing.T, ctx context.Context) {
	t.Helper()
	var mu sync.Mutex
	var thrown []string
	if err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*runtime.EventExceptionThrown); ok {
			msg := e.ExceptionDetails.Text
			if e.ExceptionDetails.Exception != nil && e.ExceptionDetails.Exception.Description != "" {
				msg += " " + e.ExceptionDetails.Exception.Description
			}
			mu.Lock()
			thrown = append(thrown, msg)
			mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, m := range thrown {
			t.Errorf("JavaScript exception: %s", m)
		}
	})
}

// snapPNG saves a screenshot of the whole page as NAME.png into the
// directory in $MATTHAN_SCREENSHOTS, when it is set (the README's pictures
// come from here). Without it, it does nothing.
func snapPNG(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("MATTHAN_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// FullScreenshot with quality 100 is PNG.
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
