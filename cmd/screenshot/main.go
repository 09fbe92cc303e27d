// Command screenshot takes a full-page screenshot of a local HTML page (a
// raftsim report's index.html) in the installed Chromium, driven with
// chromedp, as a person would see the page: every plot, the tables, the
// whole height of the page.
//
//	go run ./cmd/screenshot [-width 1200] PAGE.html SHOT.png
//
// It installs nothing: when no Chromium is found it says which package
// to install (on Debian: apt-get install chromium) and exits with status
// 2. Chromium runs headless with a throw-away profile and every flag that
// keeps it off the network; the page and its images are local files.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/chromedp/chromedp"
)

// browsers are the executables tried, in order.
var browsers = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// errNoBrowser is a missing Chromium: the user's to install.
var errNoBrowser = errors.New("no Chromium found (looked for " + fmt.Sprint(browsers) +
	" on PATH); install it, for example on Debian or Ubuntu with 'apt-get install chromium', or name it with -browser")

// timeout bounds the whole capture.
const timeout = 2 * time.Minute

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("screenshot", flag.ContinueOnError)
	fs.SetOutput(stderr)
	width := fs.Int("width", 1200, "the window's width in CSS pixels; the height is the page's")
	browser := fs.String("browser", "", "the Chromium executable (default: the first of "+fmt.Sprint(browsers)+" on PATH)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: screenshot [-width N] [-browser PATH] PAGE.html SHOT.png")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 2 || *width < 200 || *width > 8000 {
		fs.Usage()
		return 2
	}
	page, shot := fs.Arg(0), fs.Arg(1)
	if err := capture(page, shot, *browser, *width); err != nil {
		fmt.Fprintf(stderr, "screenshot: %v\n", err)
		if errors.Is(err, errNoBrowser) || errors.Is(err, os.ErrNotExist) {
			return 2
		}
		return 1
	}
	fmt.Fprintln(stdout, shot)
	return 0
}

// findBrowser returns the Chromium to run.
func findBrowser(named string) (string, error) {
	if named != "" {
		return exec.LookPath(named)
	}
	for _, b := range browsers {
		if p, err := exec.LookPath(b); err == nil {
			return p, nil
		}
	}
	return "", errNoBrowser
}

// capture loads page and writes a PNG of the whole of it to shot.
func capture(page, shot, browser string, width int) error {
	abs, err := filepath.Abs(page)
	if err != nil {
		return err
	}
	if _, err := os.Stat(abs); err != nil {
		return err
	}
	exe, err := findBrowser(browser)
	if err != nil {
		return err
	}
	profile, err := os.MkdirTemp("", "screenshot-profile-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(profile)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(width, 900),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("hide-scrollbars", true),
	)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	if err := chromedp.Do(bctx, chromedp.Navigate("file://"+abs)); err != nil {
		return fmt.Errorf("loading %s in %s: %w", page, exe, err)
	}
	// Quality 100 asks for PNG; FullScreenshot captures beyond the
	// viewport, the page's full height.
	png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	if err != nil {
		return fmt.Errorf("capturing %s: %w", page, err)
	}
	if len(png) == 0 {
		return fmt.Errorf("%s gave an empty screenshot of %s", exe, page)
	}
	return os.WriteFile(shot, png, 0o644)
}
