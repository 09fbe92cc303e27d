package main

import (
	"context"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A live run under membership faults alone - leadership transfers and
// nodes removed and added back through the admin commands - passes every
// check, with both kinds made and every removed node added back.
func TestLiveMembershipFaults(t *testing.T) {
	bin := buildRaftsim(t)
	tmp := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "live", "--nodes", "3", "--duration", "12s", "--heal", "6s",
		"--faults", "transfer,member", "--seed", "7", "--clients", "4")
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "result           PASS") {
		t.Fatalf("raftsim live: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`faults +transfer (\d+), member (\d+),`).FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("no fault counts in the summary:\n%s", out)
	}
	for i, kind := range []string{"transfer", "member"} {
		if n, _ := strconv.Atoi(m[i+1]); n == 0 {
			t.Errorf("no %s fault was made:\n%s", kind, out)
		}
	}
	if !strings.Contains(string(out), "remove node") || strings.Contains(string(out), "could not be added back") {
		t.Errorf("removed nodes were not all added back:\n%s", out)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Fatalf("the run left %d entries in its temporary directory: %v", len(left), left)
	}
}
