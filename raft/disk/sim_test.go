package disk

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"testing"
)

func newTestSim(t *testing.T, cfg SimConfig, seed uint64) *Sim {
	t.Helper()
	s, err := NewSim(cfg, rand.New(rand.NewPCG(seed, 99)))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.MkdirAll("/d", 0o700); err != nil {
		t.Fatal(err)
	}
	return s
}

func mustOpen(t *testing.T, d FS, name string, flag int) File {
	t.Helper()
	f, err := d.OpenFile(name, flag, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func mustWrite(t *testing.T, f File, p []byte, off int64) {
	t.Helper()
	if n, err := f.WriteAt(p, off); err != nil || n != len(p) {
		t.Fatalf("WriteAt(%d bytes at %d) = %d, %v", len(p), off, n, err)
	}
}

func readAll(t *testing.T, d FS, name string) []byte {
	t.Helper()
	f := mustOpen(t, d, name, os.O_RDONLY)
	defer f.Close()
	n, err := f.Size()
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, n)
	if _, err := f.ReadAt(buf, 0); err != nil && !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	return buf
}

// Both implementations behave alike on the operations a store uses.
func TestFSBasics(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		fs   FS
		root string
	}{{"os", OS{}, dir}, {"sim", newTestSim(t, SimConfig{}, 1), "/d"}} {
		t.Run(tc.name, func(t *testing.T) {
			d, root := tc.fs, tc.root
			if _, err := d.OpenFile(root+"/missing", os.O_RDONLY, 0); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("opening a missing file: %v, want ErrNotExist", err)
			}
			f := mustOpen(t, d, root+"/a.tmp", os.O_RDWR|os.O_CREATE|os.O_TRUNC)
			mustWrite(t, f, []byte("hello"), 0)
			mustWrite(t, f, []byte("world"), 10) // a hole of zeros
			if n, _ := f.Size(); n != 15 {
				t.Fatalf("size %d, want 15", n)
			}
			if err := f.Sync(); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 20)
			n, err := f.ReadAt(buf, 0)
			if n != 15 || !errors.Is(err, io.EOF) {
				t.Fatalf("ReadAt past the end: %d, %v", n, err)
			}
			if want := []byte("hello\x00\x00\x00\x00\x00world"); !bytes.Equal(buf[:n], want) {
				t.Fatalf("read %q, want %q", buf[:n], want)
			}
			if err := f.Truncate(5); err != nil {
				t.Fatal(err)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			if err := d.Rename(root+"/a.tmp", root+"/a"); err != nil {
				t.Fatal(err)
			}
			if err := d.SyncDir(root); err != nil {
				t.Fatal(err)
			}
			if got := readAll(t, d, root+"/a"); string(got) != "hello" {
				t.Fatalf("after truncate and rename: %q", got)
			}
			if _, err := d.OpenFile(root+"/a", os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); !errors.Is(err, fs.ErrExist) {
				t.Fatalf("O_EXCL on an existing file: %v", err)
			}
			des, err := d.ReadDir(root)
			if err != nil || len(des) != 1 || des[0].Name != "a" || des[0].IsDir {
				t.Fatalf("ReadDir: %v, %v", des, err)
			}
			if fi, err := d.Stat(root + "/a"); err != nil || fi.Size != 5 || fi.IsDir {
				t.Fatalf("Stat: %+v, %v", fi, err)
			}
			if fi, err := d.Stat(root); err != nil || !fi.IsDir {
				t.Fatalf("Stat of the directory: %+v, %v", fi, err)
			}
			if err := d.Remove(root + "/a"); err != nil {
				t.Fatal(err)
			}
			if _, err := d.Stat(root + "/a"); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("Stat after Remove: %v", err)
			}
		})
	}
}

func TestSimSyncedDataSurvivesPowerLoss(t *testing.T) {
	for seed := range uint64(50) {
		s := newTestSim(t, SimConfig{}, seed)
		f := mustOpen(t, s, "/d/log", os.O_RDWR|os.O_CREATE)
		mustWrite(t, f, bytes.Repeat([]byte{1}, 700), 0)
		if err := f.Sync(); err != nil {
			t.Fatal(err)
		}
		if err := s.SyncDir("/d"); err != nil {
			t.Fatal(err)
		}
		mustWrite(t, f, bytes.Repeat([]byte{2}, 300), 700) // unsynced
		s.PowerLoss()
		got := readAll(t, s, "/d/log")
		if len(got) < 700 || !bytes.Equal(got[:700], bytes.Repeat([]byte{1}, 700)) {
			t.Fatalf("seed %d: synced bytes changed by a power loss", seed)
		}
		for i, b := range got[700:] {
			if b != 0 && b != 2 {
				t.Fatalf("seed %d: byte %d is %d, neither written nor zero", seed, 700+i, b)
			}
		}
		if _, err := f.ReadAt(make([]byte, 1), 0); !errors.Is(err, ErrStale) {
			t.Fatalf("a handle from before the power loss: %v, want ErrStale", err)
		}
	}
}

// Power loss keeps an arbitrary subset of unsynced writes: across seeds,
// a later write survives while an earlier one is lost, and some last
// writes are torn inside their last sector.
func TestSimPowerLossKeepsArbitrarySubset(t *testing.T) {
	laterWithoutEarlier, torn, allKept := 0, 0, 0
	for seed := range uint64(200) {
		s := newTestSim(t, SimConfig{}, seed)
		f := mustOpen(t, s, "/d/log", os.O_RDWR|os.O_CREATE)
		if err := f.Sync(); err != nil {
			t.Fatal(err)
		}
		if err := s.SyncDir("/d"); err != nil {
			t.Fatal(err)
		}
		mustWrite(t, f, bytes.Repeat([]byte{1}, 512), 0)
		mustWrite(t, f, bytes.Repeat([]byte{2}, 512), 512)
		mustWrite(t, f, bytes.Repeat([]byte{3}, 512), 1024)
		s.PowerLoss()
		got := readAll(t, s, "/d/log")
		sector := func(i int) byte {
			if len(got) < (i+1)*512 {
				return 0
			}
			return got[i*512+511]
		}
		if sector(0) == 0 && (sector(1) == 2 || sector(2) == 3) {
			laterWithoutEarlier++
		}
		if sector(0) == 1 && sector(1) == 2 && sector(2) == 3 {
			allKept++
		}
		for _, e := range s.Events() {
			if e.Kind == FaultTornWrite {
				torn++
				if lost, _ := s.Damage("/d/log", e.Off, e.Off+e.Len); !lost {
					t.Fatalf("seed %d: a torn write is not marked lost", seed)
				}
			}
		}
	}
	if laterWithoutEarlier == 0 || torn == 0 || allKept == 0 {
		t.Fatalf("over 200 power losses: %d kept a later write without an earlier one, %d tore a write, %d kept all; want each > 0",
			laterWithoutEarlier, torn, allKept)
	}
}

// A file's name is durable only once its directory is synced: a synced
// file whose creation or rename was not is lost or reverted.
func TestSimDirectoryDurability(t *testing.T) {
	s := newTestSim(t, SimConfig{}, 1)
	f := mustOpen(t, s, "/d/seg.tmp", os.O_RDWR|os.O_CREATE)
	mustWrite(t, f, []byte("header"), 0)
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := s.Rename("/d/seg.tmp", "/d/seg"); err != nil {
		t.Fatal(err)
	}
	s.PowerLoss()
	if _, err := s.Stat("/d/seg"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a file created and renamed without a directory sync survived a power loss: %v", err)
	}
	if _, err := s.Stat("/d/seg.tmp"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a file created without a directory sync survived a power loss: %v", err)
	}

	f = mustOpen(t, s, "/d/seg.tmp", os.O_RDWR|os.O_CREATE)
	mustWrite(t, f, []byte("header"), 0)
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := s.SyncDir("/d"); err != nil {
		t.Fatal(err)
	}
	if err := s.Rename("/d/seg.tmp", "/d/seg"); err != nil {
		t.Fatal(err)
	}
	s.PowerLoss()
	if _, err := s.Stat("/d/seg.tmp"); err != nil {
		t.Fatalf("an unsynced rename was not undone: %v", err)
	}
	if err := s.Rename("/d/seg.tmp", "/d/seg"); err != nil {
		t.Fatal(err)
	}
	if err := s.SyncDir("/d"); err != nil {
		t.Fatal(err)
	}
	s.PowerLoss()
	if got := readAll(t, s, "/d/seg"); string(got) != "header" {
		t.Fatalf("after a synced rename and a power loss: %q", got)
	}
}

// A crash keeps unsynced writes readable (the page cache) and makes old
// handles stale.
func TestSimCrashKeepsPageCache(t *testing.T) {
	s := newTestSim(t, SimConfig{}, 1)
	f := mustOpen(t, s, "/d/log", os.O_RDWR|os.O_CREATE)
	mustWrite(t, f, []byte("unsynced"), 0)
	s.Crash()
	if _, err := f.WriteAt([]byte("x"), 0); !errors.Is(err, ErrStale) {
		t.Fatalf("write through a handle from before the crash: %v", err)
	}
	if got := readAll(t, s, "/d/log"); string(got) != "unsynced" {
		t.Fatalf("after a crash: %q", got)
	}
	s.PowerLoss()
	if _, err := s.Stat("/d/log"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a file never synced into its directory survived a power loss: %v", err)
	}
}

func TestSimDeterministic(t *testing.T) {
	run := func() (string, []Event) {
		s := newTestSim(t, SimConfig{Rates: Rates{Misdirect: Ratio{1, 4}, WriteError: Ratio{1, 8}}}, 7)
		f := mustOpen(t, s, "/d/log", os.O_RDWR|os.O_CREATE)
		var off int64
		for i := range 40 {
			if _, err := f.WriteAt(bytes.Repeat([]byte{byte(i)}, 100), off); err == nil {
				off += 100
			}
			if i%5 == 4 {
				_ = f.Sync()
			}
		}
		_ = s.SyncDir("/d")
		s.PowerLoss()
		return string(readAll(t, s, "/d/log")), s.Events()
	}
	a, ea := run()
	b, eb := run()
	if a != b || len(ea) != len(eb) {
		t.Fatal("two runs with one seed differ")
	}
	for i := range ea {
		if ea[i] != eb[i] {
			t.Fatalf("event %d differs: %v vs %v", i, ea[i], eb[i])
		}
	}
}

func TestSimCloneIsIndependent(t *testing.T) {
	s := newTestSim(t, SimConfig{Rates: Rates{WriteError: Ratio{1, 1}}}, 1)
	c := s.Clone()
	f := mustOpen(t, c, "/d/x", os.O_RDWR|os.O_CREATE)
	mustWrite(t, f, []byte("clone"), 0) // no faults in a clone
	if _, err := s.Stat("/d/x"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("a write to a clone reached the original")
	}
	g := mustOpen(t, s, "/d/y", os.O_RDWR|os.O_CREATE)
	if _, err := g.WriteAt([]byte("y"), 0); !errors.Is(err, ErrIO) {
		t.Fatalf("write error rate 1/1 on the original: %v", err)
	}
}
