package disk

import (
	"bytes"
	"errors"
	"os"
	"testing"
)

func syncedFile(t *testing.T, s *Sim, name string, data []byte) File {
	t.Helper()
	f := mustOpen(t, s, name, os.O_RDWR|os.O_CREATE)
	mustWrite(t, f, data, 0)
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := s.SyncDir("/d"); err != nil {
		t.Fatal(err)
	}
	return f
}

// A failed fsync loses its writes for good: they stay readable until the
// power goes, and a later fsync that succeeds does not save them.
func TestSimSyncErrorIsFsyncgate(t *testing.T) {
	s := newTestSim(t, SimConfig{}, 1)
	f := syncedFile(t, s, "/d/log", []byte("durable."))
	mustWrite(t, f, []byte("doomed"), 8)
	if err := s.Arm(FaultSyncError); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); !errors.Is(err, ErrIO) {
		t.Fatalf("armed fsync error: %v, want ErrIO", err)
	}
	if got := readAll(t, s, "/d/log"); string(got) != "durable.doomed" {
		t.Fatalf("after the failed fsync, reads show %q", got)
	}
	if err := f.Sync(); err != nil {
		t.Fatalf("the next fsync: %v", err)
	}
	s.PowerLoss()
	got := readAll(t, s, "/d/log")
	if !bytes.HasPrefix(got, []byte("durable.")) || bytes.Contains(got, []byte("doomed")) {
		t.Fatalf("after the power loss: %q; the writes of a failed fsync must be lost", got)
	}
	if lost, _ := s.Damage("/d/log", 8, 14); !lost {
		t.Fatal("the bytes of a failed fsync are not marked lost")
	}
	if n := s.Stats().Faults[FaultSyncError]; n != 1 {
		t.Fatalf("sync errors counted: %d", n)
	}
}

func TestSimWriteErrorWritesNothing(t *testing.T) {
	s := newTestSim(t, SimConfig{}, 1)
	f := syncedFile(t, s, "/d/log", []byte("abc"))
	if err := s.Arm(FaultWriteError); err != nil {
		t.Fatal(err)
	}
	if n, err := f.WriteAt([]byte("xyz"), 3); n != 0 || !errors.Is(err, ErrIO) {
		t.Fatalf("armed write error: %d, %v", n, err)
	}
	if got := readAll(t, s, "/d/log"); string(got) != "abc" {
		t.Fatalf("a failed write changed the file: %q", got)
	}
	mustWrite(t, f, []byte("xyz"), 3) // one-shot
}

func TestSimNoSpace(t *testing.T) {
	s := newTestSim(t, SimConfig{CapacityBytes: 10}, 1)
	f := syncedFile(t, s, "/d/log", []byte("0123456789"))
	if _, err := f.WriteAt([]byte("x"), 10); !errors.Is(err, ErrNoSpace) {
		t.Fatalf("a write past the capacity: %v, want ErrNoSpace", err)
	}
	mustWrite(t, f, []byte("ab"), 0) // overwriting needs no space
	s2 := newTestSim(t, SimConfig{}, 1)
	g := syncedFile(t, s2, "/d/log", []byte("abc"))
	s2.SetFull(true)
	if _, err := g.WriteAt([]byte("d"), 3); !errors.Is(err, ErrNoSpace) {
		t.Fatalf("a full disk: %v, want ErrNoSpace", err)
	}
	if err := g.Truncate(10); !errors.Is(err, ErrNoSpace) {
		t.Fatalf("growing by truncation on a full disk: %v", err)
	}
	s2.SetFull(false)
	mustWrite(t, g, []byte("d"), 3)
	if n := s2.Stats().NoSpace; n != 2 {
		t.Fatalf("no-space errors counted: %d, want 2", n)
	}
}

func TestSimMisdirectedWrite(t *testing.T) {
	s := newTestSim(t, SimConfig{}, 3)
	f := syncedFile(t, s, "/d/log", bytes.Repeat([]byte{7}, 4096))
	if err := s.Arm(FaultMisdirect); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, f, bytes.Repeat([]byte{9}, 100), 2048)
	ev := s.Events()
	if len(ev) != 1 || ev[0].Kind != FaultMisdirect || ev[0].Intended != 2048 || ev[0].Off == 2048 {
		t.Fatalf("events: %v", ev)
	}
	got := readAll(t, s, "/d/log")
	if got[2048] != 7 {
		t.Fatal("the misdirected write reached its intended offset")
	}
	if got[ev[0].Off] != 9 {
		t.Fatal("the misdirected write is not where the event says")
	}
	for _, off := range []int64{2048, ev[0].Off} {
		if _, latent := s.Damage("/d/log", off, off+100); !latent {
			t.Fatalf("bytes at %d not marked damaged", off)
		}
	}
}

func TestSimStaleRead(t *testing.T) {
	s := newTestSim(t, SimConfig{KeepSectorHistory: true}, 1)
	f := syncedFile(t, s, "/d/log", bytes.Repeat([]byte{1}, 512))
	mustWrite(t, f, bytes.Repeat([]byte{2}, 512), 0)
	if err := s.Arm(FaultStaleRead); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 512)
	if _, err := f.ReadAt(buf, 0); err != nil {
		t.Fatal(err)
	}
	if buf[0] != 1 {
		t.Fatalf("stale read returned %d, want the previous version 1", buf[0])
	}
	if _, err := f.ReadAt(buf, 0); err != nil || buf[0] != 2 {
		t.Fatalf("the next read: %d, %v; stale reads are one-shot", buf[0], err)
	}
}

// Latent corruption hits only synced bytes, never unsynced ones.
func TestSimCorruptHitsOnlySyncedBytes(t *testing.T) {
	for seed := range uint64(100) {
		s := newTestSim(t, SimConfig{}, seed)
		f := syncedFile(t, s, "/d/log", bytes.Repeat([]byte{5}, 1000))
		mustWrite(t, f, bytes.Repeat([]byte{6}, 1000), 1000) // unsynced
		kind := FaultBitFlip
		if seed%2 == 1 {
			kind = FaultZeroSector
		}
		e, ok := s.Corrupt(kind, nil)
		if !ok {
			t.Fatalf("seed %d: nothing to corrupt", seed)
		}
		got := readAll(t, s, "/d/log")
		changed := 0
		for i, b := range got {
			want := byte(5)
			if i >= 1000 {
				want = 6
			}
			if b != want {
				changed++
				if i >= 1000 {
					t.Fatalf("seed %d: %s changed unsynced byte %d", seed, kind, i)
				}
				if int64(i) < e.Off || int64(i) >= e.Off+e.Len {
					t.Fatalf("seed %d: byte %d changed outside the event %v", seed, i, e)
				}
			}
		}
		if changed == 0 {
			t.Fatalf("seed %d: %s changed nothing", seed, kind)
		}
		if kind == FaultBitFlip && changed != 1 {
			t.Fatalf("seed %d: a bit flip changed %d bytes", seed, changed)
		}
		if _, latent := s.Damage("/d/log", e.Off, e.Off+e.Len); !latent {
			t.Fatalf("seed %d: corruption not marked", seed)
		}
		if lost, latent := s.Damage("/d/log", 1000, 2000); lost || latent {
			t.Fatalf("seed %d: undamaged bytes marked", seed)
		}
	}
	s := newTestSim(t, SimConfig{}, 1)
	if _, ok := s.Corrupt(FaultBitFlip, nil); ok {
		t.Fatal("corrupted an empty disk")
	}
}

func TestSimRates(t *testing.T) {
	if _, err := NewSim(SimConfig{Rates: Rates{SyncError: Ratio{3, 2}}}, nil); err == nil {
		t.Fatal("a rate of 3/2 was accepted")
	}
	if _, err := NewSim(SimConfig{SectorBytes: 500}, nil); err == nil {
		t.Fatal("a sector of 500 bytes was accepted")
	}
	s := newTestSim(t, SimConfig{Rates: Rates{WriteError: Ratio{1, 4}}}, 5)
	f := mustOpen(t, s, "/d/log", os.O_RDWR|os.O_CREATE)
	failed := 0
	for range 400 {
		if _, err := f.WriteAt([]byte("x"), 0); err != nil {
			failed++
		}
	}
	if failed < 60 || failed > 140 {
		t.Fatalf("write error rate 1/4: %d of 400 failed", failed)
	}
	if err := s.Arm(FaultBitFlip); err == nil {
		t.Fatal("armed a bit flip")
	}
}

// After a failed fsync and a crash, dropping the cache shows what the
// medium holds: the restarted process reads none of the doomed writes,
// and writes made after them, outside their bytes, stay.
func TestSimDropCacheAfterSyncError(t *testing.T) {
	s := newTestSim(t, SimConfig{}, 1)
	f := syncedFile(t, s, "/d/log", []byte("durable."))
	mustWrite(t, f, []byte("doomed"), 8)
	if err := s.Arm(FaultSyncError); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); !errors.Is(err, ErrIO) {
		t.Fatalf("armed fsync error: %v, want ErrIO", err)
	}
	mustWrite(t, f, []byte("later"), 14)
	s.Crash()
	if got := readAll(t, s, "/d/log"); string(got) != "durable.doomedlater" {
		t.Fatalf("a crash alone keeps the cache: %q", got)
	}
	s.DropCache()
	if got := readAll(t, s, "/d/log"); string(got) != "durable.\x00\x00\x00\x00\x00\x00later" {
		t.Fatalf("after DropCache: %q, want the doomed bytes as the medium holds them (zeros)", got)
	}
	if lost, _ := s.Damage("/d/log", 8, 14); !lost {
		t.Fatal("the dropped bytes are not marked lost")
	}
	if lost, _ := s.Damage("/d/log", 0, 8); lost {
		t.Fatal("durable bytes marked lost")
	}
}
