package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReportWritesThePage(t *testing.T) {
	dir := t.TempDir()
	out, errs, code := cli(t, "report", "--scenario", "leader-crash", "--seeds", "3", "--out", dir)
	if code != exitPass {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	page, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"leader-crash", "latency-cdf.png", "elections.png", "3 seeds"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("index.html lacks %q", want)
		}
	}
}

func TestReportBadInput(t *testing.T) {
	for _, args := range [][]string{
		{"report", "--scenario", "no-such-scenario", "--out", t.TempDir()},
		{"report", "--workers", "0", "--out", t.TempDir()},
		{"report", "--out", ""},
		// A billion seeds once filled 24 GB listing and summarizing them.
		{"report", "--seeds", "10001", "--out", t.TempDir()},
		{"report", "--seeds", "1000000000", "--out", t.TempDir()},
		{"report", "--seed", "18446744073709551615", "--seeds", "2", "--out", t.TempDir()},
	} {
		_, errs, code := cli(t, args...)
		if code != exitUsage || !strings.Contains(errs, "raftsim: ") {
			t.Errorf("raftsim %s: exit %d, stderr %q; want 2 with a message", strings.Join(args, " "), code, errs)
		}
	}
}
