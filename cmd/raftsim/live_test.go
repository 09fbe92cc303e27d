package main

import (
	"context"
	"fmt"

	"github.com/raftsim/raftsim/checker"
	"github.com/raftsim/raftsim/clock"
	"github.com/raftsim/raftsim/sim"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/raft/filestore"
	"github.com/raftsim/raftsim/raft/kv"
)

// A short live run with every fault kind passes its checks, writes its
// report, and leaves no process or directory behind.
func TestLiveShortRun(t *testing.T) {
	bin := buildRaftsim(t)
	rep := t.TempDir()
	tmp := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "live", "--nodes", "3", "--duration", "5s", "--heal", "6s",
		"--faults", "kill,pause,partition,oneway,latency", "--seed", "3", "--clients", "4", "--report", rep)
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "result           PASS") {
		t.Fatalf("raftsim live: %v\n%s", err, out)
	}
	for _, want := range []string{"linearizability  ok", "log replay       ok", "at-most-once     ok", "recovery         ok"} {
		if !strings.Contains(string(out), want) {
			t.Fatalf("summary lacks %q:\n%s", want, out)
		}
	}
	for _, f := range []string{"index.html", "live/index.html", "sim/index.html"} {
		if _, err := os.Stat(filepath.Join(rep, f)); err != nil {
			t.Fatalf("report: %v", err)
		}
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Fatalf("the run left %d entries in its temporary directory: %v", len(left), left)
	}
}

func TestLiveFlagErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"live", "--faults", "kill,meteor"}, `--faults: unknown fault "meteor"`},
		{[]string{"live", "--nodes", "0"}, "--nodes: 0"},
		{[]string{"live", "--heal", "1s"}, "--heal in [2s, 1h]"},
		{[]string{"live", "--clients", "0"}, "--clients and --keys"},
		{[]string{"live", "--snapshot-every", "-5"}, "--snapshot-every must not be negative"},
	} {
		var stdout, stderr strings.Builder
		if code := execute(c.args, &stdout, &stderr); code != exitUsage || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", c.args, code, stderr.String(), c.want)
		}
	}
}

// writeLog stores entries (indexes from 1) and a commit index in dir.
func writeLog(t *testing.T, dir string, ents []raft.Entry) {
	t.Helper()
	st, err := filestore.Open(dir, filestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Append(ents); err != nil {
		t.Fatal(err)
	}
	if err := st.SetHardState(raft.HardState{Term: 1, Commit: raft.Index(len(ents))}); err != nil {
		t.Fatal(err)
	}
	if err := st.Sync(); err != nil {
		t.Fatal(err)
	}
}

func cmdEntry(i int, c kv.Command) raft.Entry {
	return raft.Entry{Term: 1, Index: raft.Index(i), Type: raft.EntryNormal, Data: kv.EncodeCommand(c)}
}

// The log check answers a retried command from the session (no
// violation), and catches two nodes that applied different entries at
// one index.
func TestLiveLogCheck(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	// Sessions 1 and 2 are registered (a session's ID is its entry's
	// index); client 9 never was, so its command is refused.
	same := []raft.Entry{cmdEntry(1, kv.Register()), cmdEntry(2, kv.Register()), cmdEntry(3, kv.Append(1, 1, "k", "x")),
		cmdEntry(4, kv.Append(1, 1, "k", "x")), cmdEntry(5, kv.Put(2, 1, "k", "y")), cmdEntry(6, kv.Put(9, 1, "k", "n"))}
	writeLog(t, a, same)
	writeLog(t, b, same)
	lc, err := checkLogs([]raft.NodeID{1, 2}, []string{a, b})
	if err != nil || lc.Violation != nil || lc.Executed != 2 || lc.Retries != 1 {
		t.Fatalf("checkLogs of agreeing logs = %+v, %v", lc, err)
	}
	c := t.TempDir()
	writeLog(t, c, []raft.Entry{same[0], same[1], same[2], cmdEntry(4, kv.Put(2, 1, "k", "z")), same[4], same[5]})
	lc, err = checkLogs([]raft.NodeID{1, 3}, []string{a, c})
	if err != nil || lc.Violation == nil || lc.Violation.Invariant != "state-machine-safety" || lc.Violation.Node != 3 {
		t.Fatalf("checkLogs of diverging logs = %+v, %v; want state-machine-safety on node 3", lc, err)
	}
}

// writeSnapLog stores a snapshot of the state sm holds (applied through
// its index) and entries after it, all committed, in dir.
func writeSnapLog(t *testing.T, dir string, sm *kv.Store, ents []raft.Entry) {
	t.Helper()
	st, err := filestore.Open(dir, filestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	at := sm.AppliedIndex()
	snap := raft.Snapshot{Meta: raft.SnapshotMeta{Index: at, Term: 1, ConfState: raft.ConfState{Voters: []raft.NodeID{1, 2, 3}}}, Data: sm.Snapshot()}
	if err := st.ApplySnapshot(snap); err != nil {
		t.Fatal(err)
	}
	if err := st.Append(ents); err != nil {
		t.Fatal(err)
	}
	if err := st.SetHardState(raft.HardState{Term: 1, Commit: at + raft.Index(len(ents))}); err != nil {
		t.Fatal(err)
	}
	if err := st.Sync(); err != nil {
		t.Fatal(err)
	}
}

// The log check starts a compacted node from its snapshot, checks its
// state against the other nodes' at the snapshot's index, and replays
// the entries after it; a snapshot whose state no replica had is caught.
func TestLiveLogCheckFromSnapshots(t *testing.T) {
	// Sessions 1 and 2 are registered at indexes 1 and 2.
	ents := []raft.Entry{cmdEntry(1, kv.Register()), cmdEntry(2, kv.Register()), cmdEntry(3, kv.Append(1, 1, "k", "x")),
		cmdEntry(4, kv.Put(2, 1, "j", "y")), cmdEntry(5, kv.Append(1, 2, "k", "z")), cmdEntry(6, kv.Append(1, 2, "k", "z")),
		cmdEntry(7, kv.Put(2, 2, "j", "w"))}
	stateAt := func(upto int, alter bool) *kv.Store {
		sm := kv.NewWithSessions(kv.SessionLimits{Max: liveMaxSessions})
		for _, e := range ents[:upto] {
			if alter && e.Index == raft.Index(upto) {
				e = cmdEntry(upto, kv.Put(2, 3, "k", "forged"))
			}
			sm.Apply(e)
		}
		return sm
	}
	full, at2, at3 := t.TempDir(), t.TempDir(), t.TempDir()
	writeLog(t, full, ents)
	writeSnapLog(t, at2, stateAt(4, false), ents[4:])
	writeSnapLog(t, at3, stateAt(5, false), ents[5:])
	lc, err := checkLogs([]raft.NodeID{1, 2, 3}, []string{full, at2, at3})
	if err != nil || lc.Violation != nil || fmt.Sprint(lc.Snapshots) != "[0 4 5]" || fmt.Sprint(lc.Commits) != "[7 7 7]" {
		t.Fatalf("checkLogs of agreeing snapshots and logs = %+v, %v", lc, err)
	}
	if lc.Executed != 4 || lc.Retries != 1 {
		t.Fatalf("the full log replays 4 executions and 1 retry, got %+v", lc)
	}
	// Node 3's snapshot holds a state no node reached at index 5.
	bad := t.TempDir()
	writeSnapLog(t, bad, stateAt(5, true), ents[5:])
	lc, err = checkLogs([]raft.NodeID{1, 2, 3}, []string{full, at2, bad})
	if err != nil || lc.Violation == nil || lc.Violation.Invariant != "snapshot-digest" {
		t.Fatalf("checkLogs with a forged snapshot = %+v, %v; want snapshot-digest", lc, err)
	}
}

func TestCheckAppendsOnce(t *testing.T) {
	read := func(out string) checker.Operation {
		return checker.Operation{ClientID: 2, Seq: 9, Kind: checker.OpGet, Key: "k1", Outcome: checker.OutcomeOK, Found: true, Output: out, Invoke: 1e9, Complete: 2e9}
	}
	if v := checkAppendsOnce([]checker.Operation{read("[c1-1][c1-2]x[c2-1]")}); v != nil {
		t.Fatalf("distinct appends flagged: %v", v)
	}
	v := checkAppendsOnce([]checker.Operation{read("[c1-1]"), read("[c1-1][c3-4][c1-1]")})
	if v == nil || v.Invariant != "client-at-most-once" || !strings.Contains(v.Message, "[c1-1] twice") {
		t.Fatalf("a doubled append: %v", v)
	}
}

// The simulator's twin gets the live run's faults as timeline actions.
func TestSimulatorTwinTranslatesFaults(t *testing.T) {
	f := &liveFlags{nodes: 3, clients: 2, keys: 2, seed: 5, heal: 5 * time.Second}
	res := liveResult{healStart: 10 * time.Second, faults: []sim.FaultWindow{
		{Kind: "crash", Nodes: []raft.NodeID{2}, Start: clock.Time(time.Second), End: clock.Time(2 * time.Second), Label: "kill -9 node 2"},
		{Kind: "network", Nodes: []raft.NodeID{1, 2, 3}, Start: clock.Time(3 * time.Second), End: clock.Time(4 * time.Second), Label: "add 79ms latency to every link"},
		{Kind: "partition", Nodes: []raft.NodeID{3}, Start: clock.Time(5 * time.Second), End: clock.Time(6 * time.Second), Label: "cut node 3's outgoing links"},
	}}
	cfg := simulatorTwin(f, res)
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, a := range cfg.Timeline {
		kinds = append(kinds, a.Kind.String())
		if a.Kind == sim.ActLink && a.At == 3*time.Second && a.Link.Delay.Min < 79*time.Millisecond {
			t.Fatalf("the latency window became a link delay of %v", a.Link.Delay.Min)
		}
	}
	want := "crash restart link link cut_one_way cut_one_way heal"
	if got := strings.Join(kinds, " "); got != want {
		t.Fatalf("timeline %q, want %q", got, want)
	}
}
