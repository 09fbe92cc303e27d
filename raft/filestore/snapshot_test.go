package filestore

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/raftsim/raftsim/raft"
)

// smodel is the naive reference of a store with snapshots: its whole
// state, the way raft.Storage describes it.
type smodel struct {
	hs        raft.HardState
	snapIndex raft.Index
	snapTerm  raft.Term
	snapData  string
	first     raft.Index
	prevTerm  raft.Term
	log       []raft.Entry // log[i].Index == first+i
}

var voters = raft.ConfState{Voters: []raft.NodeID{1, 2, 3}}

func newSModel() smodel { return smodel{first: 1} }

func (m smodel) clone() smodel {
	m.log = slices.Clone(m.log)
	return m
}

func (m *smodel) last() raft.Index { return m.first + raft.Index(len(m.log)) - 1 }

func (m *smodel) term(i raft.Index) (raft.Term, bool) {
	switch {
	case i+1 == m.first:
		return m.prevTerm, true
	case i < m.first || i > m.last():
		return 0, false
	}
	return m.log[i-m.first].Term, true
}

func (m *smodel) append(ents []raft.Entry) {
	at := ents[0].Index
	m.log = append(m.log[:at-m.first:at-m.first], ents...)
}

func (m *smodel) applySnapshot(i raft.Index, t raft.Term, data string) {
	if i <= m.snapIndex {
		return
	}
	if got, ok := m.term(i); !ok || got != t {
		m.log, m.first, m.prevTerm = nil, i+1, t
	}
	m.snapIndex, m.snapTerm, m.snapData = i, t, data
}

func (m *smodel) compact(c raft.Index) {
	if c < m.first {
		return
	}
	m.prevTerm, _ = m.term(c)
	m.log = slices.Clone(m.log[c-m.first+1:])
	m.first = c + 1
}

// sdiff returns how the store's state differs from m, or "".
func sdiff(s *Store, m smodel) string {
	hs, err := s.InitialState()
	if err != nil || hs != m.hs {
		return fmt.Sprintf("hard state %+v (%v), want %+v", hs, err, m.hs)
	}
	snap, err := s.Snapshot()
	if err != nil {
		return fmt.Sprintf("Snapshot: %v", err)
	}
	if snap.Meta.Index != m.snapIndex || snap.Meta.Term != m.snapTerm || string(snap.Data) != m.snapData {
		return fmt.Sprintf("snapshot %d/%d %q, want %d/%d %q", snap.Meta.Term, snap.Meta.Index, snap.Data, m.snapTerm, m.snapIndex, m.snapData)
	}
	if m.snapIndex > 0 && !snap.Meta.ConfState.Equal(voters) {
		return fmt.Sprintf("snapshot configuration %v, want %v", snap.Meta.ConfState, voters)
	}
	first, err := s.FirstIndex()
	if err != nil || first != m.first {
		return fmt.Sprintf("FirstIndex = %d (%v), want %d", first, err, m.first)
	}
	last, err := s.LastIndex()
	if err != nil || last != m.last() {
		return fmt.Sprintf("LastIndex = %d (%v), want %d", last, err, m.last())
	}
	got, err := s.Entries(first, last+1)
	if err != nil {
		return fmt.Sprintf("Entries(%d, %d): %v", first, last+1, err)
	}
	if d := entriesDiff(got, m.log); d != "" {
		return d
	}
	if first > 1 {
		if _, err := s.Entries(first-1, first); !errors.Is(err, raft.ErrCompacted) {
			return fmt.Sprintf("Entries below the first index: %v, want ErrCompacted", err)
		}
	}
	return ""
}

// shandle drives a store and its model alike.
type shandle struct {
	s *Store
	m smodel
}

// fataler is what the helpers need of a testing.T or a rapid.T.
type fataler interface {
	Fatalf(format string, args ...any)
}

func smust(t fataler, err error) {
	if err != nil {
		t.Fatalf("%v", err)
	}
}

func sopen(t fataler, dir string, opts Options) *Store {
	s, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	return s
}

func (h *shandle) append(t fataler, at raft.Index, n int, term raft.Term) {
	ents := make([]raft.Entry, n)
	for i := range ents {
		ents[i] = raft.Entry{Term: term, Index: at + raft.Index(i), Type: raft.EntryNormal, Data: []byte(fmt.Sprintf("e%d.%d", term, at+raft.Index(i)))}
	}
	smust(t, h.s.Append(ents))
	h.m.append(ents)
}

func (h *shandle) snapshot(t fataler, i raft.Index, term raft.Term) {
	data := fmt.Sprintf("state at %d/%d", term, i)
	smust(t, h.s.ApplySnapshot(raft.Snapshot{Meta: raft.SnapshotMeta{Index: i, Term: term, ConfState: voters}, Data: []byte(data)}))
	h.m.applySnapshot(i, term, data)
}

func (h *shandle) compact(t fataler, c raft.Index) {
	smust(t, h.s.Compact(c))
	h.m.compact(c)
}

func (h *shandle) setHardState(t fataler, hs raft.HardState) {
	smust(t, h.s.SetHardState(hs))
	h.m.hs = hs
}

// checkFiles checks, after a Sync, that nothing dead is left: no sealed
// segment whose entries are all compacted, no snapshot file but the
// store's own.
func checkFiles(t interface{ Fatalf(string, ...any) }, s *Store) {
	des, err := os.ReadDir(s.dir)
	if err != nil {
		t.Fatalf("%v", err)
	}
	for _, de := range des {
		name := de.Name()
		if i, ok := parseSnapshotName(name); ok && i != s.snap.Index {
			t.Fatalf("snapshot file %s left behind (the store's snapshot is at %d)", name, s.snap.Index)
		}
		if strings.HasSuffix(name, tempSuffix) {
			t.Fatalf("temporary file %s left behind", name)
		}
	}
	// A segment is dead when its entries are compacted and it holds none
	// of the latest records: the copies keepLatest writes while dropping
	// segments can fill a small segment and seal it, and it then lives on
	// with no entries.
	if sg := s.segs[0]; len(s.segs) > 1 && s.compacted > 0 && sg.maxIndex <= s.compacted && !slices.Contains(s.latest[:], sg.seq) {
		t.Fatalf("segment %d, whose entries end at %d, left behind after compacting to %d", sg.seq, sg.maxIndex, s.compacted)
	}
}

// TestSnapshotStoreMatchesModel runs random appends, snapshots (matching
// the log or replacing it), compactions, hard states, syncs, clean
// restarts and process crashes against the model; after every Sync no
// dead segment or snapshot file is left.
func TestSnapshotStoreMatchesModel(t *testing.T) {
	root := t.TempDir()
	rapid.Check(t, func(rt *rapid.T) {
		dir, err := os.MkdirTemp(root, "run")
		if err != nil {
			rt.Fatal(err)
		}
		opts := Options{SegmentSizeBytes: rapid.SampledFrom([]int64{128, 512, 4096}).Draw(rt, "segmentSizeBytes")}
		h := &shandle{s: sopen(rt, dir, opts), m: newSModel()}
		rt.Cleanup(func() {
			if !h.s.closed {
				h.s.Close()
			}
			os.RemoveAll(dir)
		})
		term := raft.Term(1)
		rt.Repeat(map[string]func(*rapid.T){
			"": func(rt *rapid.T) {
				if d := sdiff(h.s, h.m); d != "" {
					rt.Fatal(d)
				}
			},
			"Append": func(rt *rapid.T) {
				lo := max(h.m.first, h.m.snapIndex+1)
				at := raft.Index(rapid.IntRange(int(lo), int(h.m.last())+1).Draw(rt, "at"))
				term += raft.Term(rapid.IntRange(0, 1).Draw(rt, "new term"))
				h.append(rt, at, rapid.IntRange(1, 8).Draw(rt, "n"), term)
			},
			"Snapshot": func(rt *rapid.T) {
				i := raft.Index(rapid.IntRange(int(h.m.snapIndex)+1, int(h.m.last())+4).Draw(rt, "index"))
				t, ok := h.m.term(i)
				if !ok || rapid.IntRange(0, 3).Draw(rt, "other term") == 0 {
					term++
					t = term
				}
				h.snapshot(rt, i, t)
			},
			"Compact": func(rt *rapid.T) {
				c := raft.Index(rapid.IntRange(0, int(h.m.snapIndex)).Draw(rt, "compact"))
				h.compact(rt, c)
			},
			"HardState": func(rt *rapid.T) {
				h.setHardState(rt, raft.HardState{Term: term, Vote: raft.NodeID(rapid.IntRange(0, 3).Draw(rt, "vote"))})
			},
			"Sync": func(rt *rapid.T) {
				smust(rt, h.s.Sync())
				checkFiles(rt, h.s)
			},
			"Reopen": func(rt *rapid.T) {
				smust(rt, h.s.Close())
				h.s = sopen(rt, dir, opts)
				checkFiles(rt, h.s)
			},
			"Crash": func(rt *rapid.T) {
				// A process crash: every write reached the page cache.
				crash(h.s)
				h.s = sopen(rt, dir, opts)
				checkFiles(rt, h.s)
			},
		})
	})
}

// The records copied before compacted segments are deleted stay in the
// active segment even when they take it past the segment size: rolling
// over there sealed a segment of nothing but those copies, dead at once
// and left behind by the Sync (found by TestSnapshotStoreMatchesModel
// with 128-byte segments).
func TestCompactionCopiesDoNotSealADeadSegment(t *testing.T) {
	dir := t.TempDir()
	h := &shandle{s: mustOpen(t, dir, Options{SegmentSizeBytes: 128}), m: newSModel()}
	t.Cleanup(func() { h.s.Close() })
	h.snapshot(t, 1, 1)
	h.append(t, 2, 1, 1)
	h.snapshot(t, 2, 1)
	h.compact(t, 2)
	h.setHardState(t, raft.HardState{Term: 1, Vote: 3})
	smust(t, h.s.Sync())
	checkFiles(t, h.s)
	if d := sdiff(h.s, h.m); d != "" {
		t.Fatal(d)
	}
	smust(t, h.s.Close())
	h.s = mustOpen(t, dir, Options{SegmentSizeBytes: 128})
	if d := sdiff(h.s, h.m); d != "" {
		t.Fatal(d)
	}
}

// The snapshot file is checked: a flipped byte or a cut file is damage
// the store repairs, fenced, keeping no log (the log after a snapshot
// means nothing without it); without the state file, or for a missing
// file, Open fails with a CorruptionError naming it. Never a store that
// uses it.
func TestSnapshotFileCorruptionFailsOpen(t *testing.T) {
	build := func(t *testing.T) (string, raft.Index) {
		dir := t.TempDir()
		h := &shandle{s: mustOpen(t, dir, Options{SegmentSizeBytes: 256}), m: newSModel()}
		h.append(t, 1, 20, 1)
		h.snapshot(t, 15, 1)
		h.compact(t, 12)
		must(t, h.s.Close())
		return dir, 15
	}
	dir, i := build(t)
	b, err := os.ReadFile(snapshotPath(dir, i))
	must(t, err)
	for off := range b {
		t.Run(fmt.Sprintf("flip%d", off), func(t *testing.T) {
			d, _ := build(t)
			flipped := slices.Clone(b)
			flipped[off] ^= 0x40
			must(t, os.WriteFile(snapshotPath(d, i), flipped, 0o600))
			checkSnapshotRepaired(t, d, snapshotPath(d, i))
			d, _ = build(t)
			must(t, os.WriteFile(snapshotPath(d, i), flipped, 0o600))
			must(t, os.Remove(statePath(d)))
			checkSnapshotCorruption(t, d, snapshotPath(d, i))
		})
	}
	t.Run("cut", func(t *testing.T) {
		d, _ := build(t)
		must(t, os.WriteFile(snapshotPath(d, i), b[:len(b)-3], 0o600))
		checkSnapshotRepaired(t, d, snapshotPath(d, i))
	})
	t.Run("missing", func(t *testing.T) {
		d, _ := build(t)
		must(t, os.Remove(snapshotPath(d, i)))
		checkSnapshotCorruption(t, d, snapshotPath(d, i))
	})
	t.Run("segments lost too", func(t *testing.T) {
		d, _ := build(t)
		for _, sg := range segmentNames(t, d) {
			must(t, os.Remove(filepath.Join(d, sg)))
		}
		checkSnapshotCorruption(t, d, snapshotPath(d, i))
	})
}

func checkSnapshotRepaired(t *testing.T, dir, file string) {
	t.Helper()
	s, err := Open(dir, Options{SegmentSizeBytes: 256})
	if err != nil {
		t.Fatalf("Open: %v, want a repair", err)
	}
	defer s.Close()
	ri := s.Recovery()
	hs, _ := s.InitialState()
	last, _ := s.LastIndex()
	if !ri.Repaired() || ri.DamageFile != file || hs.Fence == 0 || last != 0 || s.SnapshotMeta().Index != 0 {
		t.Fatalf("recovery %v (hard state %+v, last index %d, snapshot %d), want a repair of %s keeping nothing, fenced",
			ri, hs, last, s.SnapshotMeta().Index, file)
	}
}

func checkSnapshotCorruption(t *testing.T, dir, file string) {
	t.Helper()
	s, err := Open(dir, Options{SegmentSizeBytes: 256})
	if err == nil {
		s.Close()
		t.Fatal("Open succeeded on a damaged snapshot")
	}
	var ce *CorruptionError
	if !errors.As(err, &ce) || ce.File != file {
		t.Fatalf("Open: %v, want a CorruptionError naming %s", err, file)
	}
}

func segmentNames(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	must(t, err)
	var out []string
	for _, de := range des {
		if strings.HasSuffix(de.Name(), segmentSuffix) {
			out = append(out, de.Name())
		}
	}
	return out
}

// Compaction deletes the segments it left dead, and only after they are
// durably compacted; a segment deleted that compaction did not delete is
// still lost data.
func TestCompactionDeletesDeadSegments(t *testing.T) {
	dir := t.TempDir()
	h := &shandle{s: mustOpen(t, dir, Options{SegmentSizeBytes: 256}), m: newSModel()}
	for i := raft.Index(1); i <= 60; i += 5 {
		h.append(t, i, 5, 1)
		must(t, h.s.Sync())
	}
	before := segmentNames(t, dir)
	h.snapshot(t, 50, 1)
	h.compact(t, 50)
	if got := segmentNames(t, dir); !slices.Equal(got, before) {
		t.Fatalf("segments deleted before the compaction was synced: %v, were %v", got, before)
	}
	must(t, h.s.Sync())
	after := segmentNames(t, dir)
	if len(after) >= len(before) || after[0] == before[0] {
		t.Fatalf("segments %v after compacting to 50, were %v: nothing deleted", after, before)
	}
	checkFiles(t, h.s)
	must(t, h.s.Close())
	s := mustOpen(t, dir, Options{SegmentSizeBytes: 256})
	if d := sdiff(s, h.m); d != "" {
		t.Fatal(d)
	}
	must(t, s.Close())
	// Losing the first segment compaction kept is corruption.
	must(t, os.Remove(filepath.Join(dir, after[0])))
	err := openErr(t, dir)
	var ce *CorruptionError
	if !errors.As(err, &ce) || !strings.Contains(ce.Reason, "missing") {
		t.Fatalf("Open after deleting %s: %v, want a missing segment", after[0], err)
	}
}

// Raft on the file store: a node compacts by the policy, restarts from
// its snapshot and the entries after it, and installs a snapshot from a
// leader, keeping it across a restart.
func TestRaftNodeOnFileStoreSnapshots(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, Options{SegmentSizeBytes: 512})
	n, err := raft.NewNode(raft.Config{ID: 1, Voters: []raft.NodeID{1}, Storage: s, Rand: testRand(), SnapshotEvery: 10, SnapshotKeep: 2})
	must(t, err)
	var applied []raft.Entry
	drive := func() {
		for n.HasReady() {
			rd := n.Ready()
			if !rd.Snapshot.IsEmpty() {
				must(t, s.ApplySnapshot(rd.Snapshot))
			}
			must(t, s.SetHardState(rd.HardState))
			must(t, s.Append(rd.Entries))
			if rd.Compact > 0 {
				must(t, s.Compact(rd.Compact))
			}
			must(t, s.Sync())
			applied = append(applied, rd.CommittedEntries...)
			n.Advance(rd)
			if n.SnapshotDue() {
				a := applied[len(applied)-1].Index
				must(t, n.Compact(a, []byte(fmt.Sprintf("applied %d", a))))
			}
		}
	}
	for range 30 {
		n.Tick()
		drive()
	}
	for i := range 45 {
		if _, _, err := n.Propose([]byte(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
		drive()
	}
	st := n.Status()
	must(t, s.Close())
	s = mustOpen(t, dir, Options{SegmentSizeBytes: 512})
	snap, err := s.Snapshot()
	must(t, err)
	first, _ := s.FirstIndex()
	if snap.Meta.Index < 40 || first > snap.Meta.Index+1 || string(snap.Data) != fmt.Sprintf("applied %d", snap.Meta.Index) {
		t.Fatalf("after restart: snapshot %v, first index %d", snap, first)
	}
	n, err = raft.NewNode(raft.Config{ID: 1, Voters: []raft.NodeID{1}, Storage: s, Rand: testRand(), Applied: st.Applied})
	must(t, err)
	if got := n.Status(); got.LastIndex != st.LastIndex || got.SnapshotIndex != snap.Meta.Index {
		t.Fatalf("restarted node %+v, was %+v", got, st)
	}
	must(t, s.Close())
}

func testRand() *rand.Rand { return rand.New(rand.NewPCG(1, 1)) }

// fsImage is a directory's files by name.
type fsImage map[string][]byte

func readImage(t *testing.T, dir string) fsImage {
	t.Helper()
	des, err := os.ReadDir(dir)
	must(t, err)
	img := fsImage{}
	for _, de := range des {
		b, err := os.ReadFile(filepath.Join(dir, de.Name()))
		must(t, err)
		img[de.Name()] = b
	}
	return img
}

func writeImage(t *testing.T, dir string, img fsImage) {
	t.Helper()
	for name, b := range img {
		must(t, os.WriteFile(filepath.Join(dir, name), b, 0o600))
	}
}

// crashModel follows what survives a crash of the machine: a file's
// content as of its last fsync, and the directory's entries as of its
// last fsync (a file created, renamed or removed since may be either way;
// the model takes the old way).
type crashModel struct {
	dir     string
	durable fsImage // names durable in the directory, with durable contents
	synced  fsImage // durable contents of files, by current name
}

func (cm *crashModel) note(t *testing.T, op, path string) {
	name := filepath.Base(path)
	switch op {
	case "fsync":
		b, err := os.ReadFile(path)
		must(t, err)
		cm.synced[name] = b
	case "rename":
		// The durable content follows the file to its new name; the
		// directory entry is durable at the next directory fsync.
		for tmp, b := range cm.synced {
			if tmp == name+tempSuffix {
				cm.synced[name] = b
				delete(cm.synced, tmp)
			}
		}
	case "create":
		// createSegment made the file and its entry durable.
		b, err := os.ReadFile(path)
		must(t, err)
		cm.synced[name], cm.durable[name] = b, b
	case "fsync-dir":
		live := readImage(t, cm.dir)
		cm.durable = fsImage{}
		for n := range live {
			cm.durable[n] = cm.synced[n]
		}
	}
}

// image is what a power loss now leaves.
func (cm *crashModel) image() fsImage {
	img := fsImage{}
	for n := range cm.durable {
		img[n] = cm.synced[n]
	}
	return img
}

// TestSnapshotSequenceCutAtEveryStep runs snapshots (one matching the log,
// one replacing it) and compactions that delete segments, and crashes at
// every file operation of them: a process crash keeps every write, a
// power loss keeps what was synced (files as of their last fsync,
// directory entries as of the directory's). Every crash must recover a
// consistent pair of snapshot and log, and a state the store passed
// through: a process crash the state of the last call made or the one in
// progress, a power loss one no older than the last Sync.
func TestSnapshotSequenceCutAtEveryStep(t *testing.T) {
	dir := t.TempDir()
	opts := Options{SegmentSizeBytes: 200}
	h := &shandle{s: mustOpen(t, dir, opts), m: newSModel()}
	h.append(t, 1, 12, 1)
	h.setHardState(t, raft.HardState{Term: 1, Vote: 1, Commit: 12})
	must(t, h.s.Sync())
	must(t, h.s.Close())

	// states[i] is the model after i calls; synced[i] the number of calls
	// the last Sync before call i covered.
	type cut struct {
		call    int // the call in progress
		synced  int // calls covered by the last completed Sync
		live    fsImage
		durable fsImage
	}
	var cuts []cut
	states := []smodel{h.m.clone()}
	calls, lastSync := 0, 0
	cm := &crashModel{dir: dir, durable: readImage(t, dir), synced: readImage(t, dir)}
	opts.hook = func(op, path string) {
		cm.note(t, op, path)
		cuts = append(cuts, cut{call: calls, synced: lastSync, live: readImage(t, dir), durable: cm.image()})
	}
	h.s = mustOpen(t, dir, opts)
	do := func(f func()) {
		f()
		calls++
		states = append(states, h.m.clone())
	}
	sync := func() {
		do(func() { must(t, h.s.Sync()) })
		lastSync = calls
	}
	do(func() { h.append(t, 13, 8, 1) })
	do(func() { h.snapshot(t, 15, 1) }) // the log holds it: kept
	do(func() { h.compact(t, 12) })
	sync() // deletes segments
	do(func() { h.setHardState(t, raft.HardState{Term: 2, Vote: 3, Commit: 20}) })
	do(func() { h.append(t, 21, 10, 2) })
	sync()
	do(func() { h.snapshot(t, 40, 3) }) // beyond the log: replaces it
	do(func() { h.setHardState(t, raft.HardState{Term: 3, Vote: 2, Commit: 40}) })
	do(func() { h.compact(t, 40) })
	sync() // deletes every older segment and the snapshot at 15
	do(func() { h.append(t, 41, 6, 3) })
	sync()
	must(t, h.s.Close())
	if len(cuts) < 20 {
		t.Fatalf("only %d file operations: the script does not exercise the sequence", len(cuts))
	}
	for i, c := range cuts {
		for _, kind := range []string{"process", "power"} {
			img, lo, hi := c.live, c.call, c.call+1
			if kind == "power" {
				img, lo = c.durable, c.synced
			}
			d := filepath.Join(t.TempDir(), fmt.Sprintf("%s-%d", kind, i))
			must(t, os.Mkdir(d, 0o700))
			writeImage(t, d, img)
			s, err := Open(d, Options{SegmentSizeBytes: 200})
			if err != nil {
				t.Fatalf("%s crash at operation %d (call %d): Open: %v", kind, i, c.call, err)
			}
			found := false
			for k := lo; k <= hi && k < len(states); k++ {
				if sdiff(s, states[k]) == "" {
					found = true
				}
			}
			if !found {
				t.Fatalf("%s crash at operation %d (call %d, synced through %d): recovered a state outside calls %d..%d: %s", kind, i, c.call, c.synced, lo, hi, sdiff(s, states[hi]))
			}
			must(t, s.Close())
		}
	}
}

// A log replayed from its first entries record, after compaction deleted
// the segments before it, knows the term of the entry before it (the
// compaction's or the snapshot's): with term 0 there, the compact record
// the next deletion copied carried term 0, and Open refused the store as
// corrupt. The steps are a failure TestSnapshotStoreMatchesModel found.
func TestReplayedLogKeepsTheTermBeforeIt(t *testing.T) {
	dir := t.TempDir()
	opts := Options{SegmentSizeBytes: 128}
	h := &shandle{s: sopen(t, dir, opts), m: newSModel()}
	restart := func(crashed bool) {
		t.Helper()
		if crashed {
			crash(h.s)
		} else {
			smust(t, h.s.Close())
		}
		h.s = sopen(t, dir, opts)
		checkFiles(t, h.s)
		if d := sdiff(h.s, h.m); d != "" {
			t.Fatal(d)
		}
	}
	h.setHardState(t, raft.HardState{Term: 1, Vote: 2})
	h.append(t, 1, 5, 2)
	restart(true)
	restart(true)
	h.append(t, 4, 1, 3)
	h.snapshot(t, 4, 3)
	h.append(t, 5, 1, 4)
	restart(false)
	h.snapshot(t, 9, 5) // past the log: replaces it
	h.append(t, 10, 1, 6)
	h.snapshot(t, 10, 6)
	h.compact(t, 5)
	restart(true)
	h.setHardState(t, raft.HardState{Term: 6, Vote: 3})
	h.compact(t, 9)
	restart(true)
	h.setHardState(t, raft.HardState{Term: 6, Vote: 1})
	h.compact(t, 10)
	restart(false)
	restart(false)
	smust(t, h.s.Sync())
	checkFiles(t, h.s)
	h.append(t, 11, 1, 6)
	restart(true)
	restart(true)
}
