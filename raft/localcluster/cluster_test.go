package localcluster

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeServe writes an executable that stands in for `raftsim serve`.
func fakeServe(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fake-raftsim")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// A node whose port was taken between choosing and binding sends Start to
// fresh ports, a bounded number of times.
func TestStartRetriesATakenPort(t *testing.T) {
	dir := t.TempDir()
	bin := fakeServe(t, `echo "serve: listen tcp 127.0.0.1:1: bind: address already in use" >&2; exit 1`)
	_, err := Start(Options{Binary: bin, Nodes: 1, Dir: dir})
	if !errors.Is(err, errPortTaken) {
		t.Fatalf("Start = %v, want a taken port", err)
	}
	log, _ := os.ReadFile(filepath.Join(dir, "node1.log"))
	if n := strings.Count(string(log), "already in use"); n != startAttempts {
		t.Fatalf("node started %d times, want %d", n, startAttempts)
	}
}

// Any other exit at start is reported at once, naming the node's log.
func TestStartReportsAnExitAtStart(t *testing.T) {
	dir := t.TempDir()
	bin := fakeServe(t, `echo "serve: --data: permission denied" >&2; exit 2`)
	_, err := Start(Options{Binary: bin, Nodes: 2, Dir: dir})
	if err == nil || errors.Is(err, errPortTaken) || !strings.Contains(err.Error(), "node1.log") {
		t.Fatalf("Start = %v, want node 1's exit naming its log", err)
	}
	log, _ := os.ReadFile(filepath.Join(dir, "node1.log"))
	if n := strings.Count(string(log), "permission denied"); n != 1 {
		t.Fatalf("node started %d times, want 1", n)
	}
}
