package main

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Without a Chromium the tool installs nothing: it says what to install,
// with exit status 2.
func TestNoBrowserSaysWhatToInstall(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	dir := t.TempDir()
	page := filepath.Join(dir, "index.html")
	os.WriteFile(page, []byte("<p>hi</p>"), 0o644)
	var out, errs bytes.Buffer
	code := run([]string{page, filepath.Join(dir, "shot.png")}, &out, &errs)
	if code != 2 || !strings.Contains(errs.String(), "apt-get install chromium") {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "shot.png")); err == nil {
		t.Fatal("a screenshot was written without a browser")
	}
}

func TestBadArguments(t *testing.T) {
	for _, args := range [][]string{nil, {"one"}, {"-width", "5", "a", "b"}, {"/no/such/page.html", "x.png"}} {
		var out, errs bytes.Buffer
		if code := run(args, &out, &errs); code != 2 {
			t.Errorf("%q: exit %d, want 2: %s", args, code, errs.String())
		}
	}
}

// With Chromium installed, the capture is the whole page: a page taller
// than the window comes out at its full height.
func TestFullPageCapture(t *testing.T) {
	if _, err := findBrowser(""); err != nil {
		if os.Getenv("CI") != "" || os.Getenv("RAFTSIM_REQUIRE_TOOLS") != "" {
			t.Fatalf("no Chromium here (%v); .ci/run installs it with `make ci-tools`", err)
		}
		t.Skipf("no Chromium here (%v); `make chromium` installs it", err)
	}
	dir := t.TempDir()
	page := filepath.Join(dir, "index.html")
	os.WriteFile(page, []byte(`<html><body style="margin:0"><div style="height:3000px;background:#4e79a7">tall</div></body></html>`), 0o644)
	shot := filepath.Join(dir, "shot.png")
	var out, errs bytes.Buffer
	if code := run([]string{"-width", "640", page, shot}, &out, &errs); code != 0 {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 640 || b.Dy() < 3000 {
		t.Fatalf("screenshot is %dx%d, want 640 wide and the page's 3000 px tall", b.Dx(), b.Dy())
	}
}
