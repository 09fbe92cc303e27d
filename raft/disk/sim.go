package disk

import (
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path"
	"sort"
	"strings"
	"time"
)

// SimConfig configures a simulated disk. The zero value is a disk with
// 512-byte sectors, no capacity limit, no latency and no faults drawn at
// random (faults can still be armed one by one, see Arm).
type SimConfig struct {
	// SectorBytes is the unit a power loss tears and a corruption zeroes.
	// Zero means 512.
	SectorBytes int
	// CapacityBytes bounds the bytes all files hold together; a write that
	// needs more fails with ErrNoSpace. Zero means no limit.
	CapacityBytes int64
	// WriteLatencyMin and WriteLatencyMax bound the latency drawn for each
	// WriteAt and Truncate (see TakeLatency).
	WriteLatencyMin, WriteLatencyMax time.Duration
	// Rates are faults drawn at random on each operation.
	Rates Rates
	// KeepSectorHistory keeps the previous version of recently written
	// sectors, which a stale read returns, even when Rates.StaleRead is
	// zero: for stale reads armed one at a time (Arm). It costs a copy of
	// each sector written.
	KeepSectorHistory bool
}

// Rates are the probabilities of the faults a simulated disk draws on
// each operation of their kind. The zero value draws none.
type Rates struct {
	// WriteError: a WriteAt fails with ErrIO and writes nothing.
	WriteError Ratio
	// Misdirect: a WriteAt reports success but its bytes land at another
	// offset of the file, a few sectors away (see Event).
	Misdirect Ratio
	// SyncError: a Sync fails with ErrIO, and the writes it was to make
	// durable are lost to a later power loss whatever later Syncs return.
	SyncError Ratio
	// StaleRead: a ReadAt returns one sector of its range as it was before
	// its latest write.
	StaleRead Ratio
}

// Validate reports the first rate that is not a probability.
func (r Rates) Validate() error {
	for _, f := range []struct {
		name string
		r    Ratio
	}{{"write_error", r.WriteError}, {"misdirect", r.Misdirect}, {"sync_error", r.SyncError}, {"stale_read", r.StaleRead}} {
		if err := f.r.Validate(); err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
	}
	return nil
}

// Sim is a simulated disk: an in-memory file system whose every
// operation is deterministic given its seeded random source, with the
// durability rules of FS enforced and faults injected on demand. It
// starts no goroutines and reads no clock; latency is accounted, not
// waited for. It is not safe for concurrent use.
//
// What it keeps per file is what the file holds now (what reads see, as
// an OS page cache would show it), what the medium holds durably, and the
// writes in between, in order. Crash ends a process (nothing on the
// disk changes; open handles become stale); PowerLoss loses the machine:
// every file keeps its durable bytes plus an arbitrary subset of its
// unsynced writes, the last one kept possibly torn within its last
// sector, and every directory reverts to its entries as last synced.
type Sim struct {
	cfg SimConfig
	rng *rand.Rand
	// dirs maps a clean directory path to its entries. Directories
	// themselves are durable when created.
	dirs map[string]*dirNode
	// inodes holds every file ever created, by inode number - 1; a nil
	// slot is a file that no longer exists anywhere.
	inodes []*inode
	// gen counts Crash and PowerLoss calls; a handle of an older
	// generation is stale.
	gen uint64
	// full makes every write that needs new space fail (SetFull).
	full bool
	// armed counts one-shot faults waiting for their operation, by kind.
	armed [faultKindLimit]int
	// latency accumulates drawn latency until TakeLatency.
	latency time.Duration
	// suspend turns off fault draws and latency (see Clone).
	suspend bool

	stats  Stats
	events []Event
}

// dirNode is a directory: its entries now, and as of its last SyncDir.
type dirNode struct {
	names   map[string]*inode
	durable map[string]*inode
	// subdirs are the names of child directories, durable at creation.
	subdirs map[string]bool
}

// NewSim returns an empty simulated disk drawing from rng, which should
// be a stream of its own so that disk activity moves no other draw.
func NewSim(cfg SimConfig, rng *rand.Rand) (*Sim, error) {
	if cfg.SectorBytes == 0 {
		cfg.SectorBytes = 512
	}
	if cfg.SectorBytes < 0 || cfg.SectorBytes&(cfg.SectorBytes-1) != 0 {
		return nil, fmt.Errorf("disk: sector size %d is not a power of two", cfg.SectorBytes)
	}
	if cfg.CapacityBytes < 0 {
		return nil, fmt.Errorf("disk: capacity %d is negative", cfg.CapacityBytes)
	}
	if cfg.WriteLatencyMin < 0 || cfg.WriteLatencyMax < cfg.WriteLatencyMin {
		return nil, fmt.Errorf("disk: write latency [%v, %v] is not a range", cfg.WriteLatencyMin, cfg.WriteLatencyMax)
	}
	if err := cfg.Rates.Validate(); err != nil {
		return nil, err
	}
	s := &Sim{cfg: cfg, rng: rng, dirs: map[string]*dirNode{}}
	s.dirs["/"] = newDirNode()
	return s, nil
}

func newDirNode() *dirNode {
	return &dirNode{names: map[string]*inode{}, durable: map[string]*inode{}, subdirs: map[string]bool{}}
}

var _ FS = (*Sim)(nil)

// clean makes name absolute and clean, so that "a/b" and "/a//b/" agree.
func clean(name string) string { return path.Clean("/" + name) }

// lookup finds the directory and base name of a file path.
func (s *Sim) lookup(name string) (*dirNode, string, error) {
	p := clean(name)
	d, ok := s.dirs[path.Dir(p)]
	if !ok {
		return nil, "", &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return d, path.Base(p), nil
}

// OpenFile implements FS.
func (s *Sim) OpenFile(name string, flag int, perm fs.FileMode) (File, error) {
	d, base, err := s.lookup(name)
	if err != nil {
		return nil, err
	}
	if _, isDir := s.dirs[clean(name)]; isDir {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	ino, exists := d.names[base]
	switch {
	case exists && flag&os.O_CREATE != 0 && flag&os.O_EXCL != 0:
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrExist}
	case !exists && flag&os.O_CREATE == 0:
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	case !exists:
		ino = &inode{ino: uint64(len(s.inodes)) + 1}
		s.inodes = append(s.inodes, ino)
		d.names[base] = ino
	}
	writable := flag&(os.O_WRONLY|os.O_RDWR) != 0
	h := &simFile{s: s, ino: ino, gen: s.gen, name: clean(name), writable: writable}
	if flag&os.O_TRUNC != 0 && writable && ino.size() > 0 {
		if err := h.Truncate(0); err != nil {
			return nil, err
		}
	}
	return h, nil
}

// ReadDir implements FS.
func (s *Sim) ReadDir(dir string) ([]DirEntry, error) {
	d, ok := s.dirs[clean(dir)]
	if !ok {
		return nil, &fs.PathError{Op: "readdir", Path: dir, Err: fs.ErrNotExist}
	}
	out := make([]DirEntry, 0, len(d.names)+len(d.subdirs))
	for n := range d.names {
		out = append(out, DirEntry{Name: n})
	}
	for n := range d.subdirs {
		out = append(out, DirEntry{Name: n, IsDir: true})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Stat implements FS.
func (s *Sim) Stat(name string) (FileInfo, error) {
	if _, ok := s.dirs[clean(name)]; ok {
		return FileInfo{IsDir: true}, nil
	}
	d, base, err := s.lookup(name)
	if err != nil {
		return FileInfo{}, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
	}
	ino, ok := d.names[base]
	if !ok {
		return FileInfo{}, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
	}
	return FileInfo{Size: ino.size()}, nil
}

// MkdirAll implements FS. Directories are durable as soon as they exist:
// a store creates its directory once, and syncs the parent anyway.
func (s *Sim) MkdirAll(dir string, perm fs.FileMode) error {
	p := clean(dir)
	if _, ok := s.dirs[p]; ok {
		return nil
	}
	parent := path.Dir(p)
	if err := s.MkdirAll(parent, perm); err != nil {
		return err
	}
	pd := s.dirs[parent]
	if _, isFile := pd.names[path.Base(p)]; isFile {
		return &fs.PathError{Op: "mkdir", Path: dir, Err: fs.ErrExist}
	}
	pd.subdirs[path.Base(p)] = true
	s.dirs[p] = newDirNode()
	return nil
}

// Rename implements FS. Both paths must be in one directory, which is all
// a store needs.
func (s *Sim) Rename(oldpath, newpath string) error {
	d, oldBase, err := s.lookup(oldpath)
	if err != nil {
		return err
	}
	d2, newBase, err := s.lookup(newpath)
	if err != nil {
		return err
	}
	if d2 != d {
		return &fs.PathError{Op: "rename", Path: newpath, Err: fs.ErrInvalid}
	}
	ino, ok := d.names[oldBase]
	if !ok {
		return &fs.PathError{Op: "rename", Path: oldpath, Err: fs.ErrNotExist}
	}
	delete(d.names, oldBase)
	d.names[newBase] = ino
	s.stats.MetaOps++
	return nil
}

// Remove implements FS.
func (s *Sim) Remove(name string) error {
	p := clean(name)
	if d, ok := s.dirs[p]; ok {
		if len(d.names) > 0 || len(d.subdirs) > 0 || len(d.durable) > 0 {
			return &fs.PathError{Op: "remove", Path: name, Err: fs.ErrInvalid}
		}
		delete(s.dirs, p)
		delete(s.dirs[path.Dir(p)].subdirs, path.Base(p))
		return nil
	}
	d, base, err := s.lookup(name)
	if err != nil {
		return err
	}
	if _, ok := d.names[base]; !ok {
		return &fs.PathError{Op: "remove", Path: name, Err: fs.ErrNotExist}
	}
	delete(d.names, base)
	s.stats.MetaOps++
	return nil
}

// SyncDir implements FS.
func (s *Sim) SyncDir(dir string) error {
	d, ok := s.dirs[clean(dir)]
	if !ok {
		return &fs.PathError{Op: "sync", Path: dir, Err: fs.ErrNotExist}
	}
	clear(d.durable)
	for n, ino := range d.names {
		d.durable[n] = ino
	}
	s.stats.DirSyncs++
	s.collect()
	return nil
}

// collect forgets the files no name reaches, now or after a power loss.
// Handles still open on one keep working, as on a POSIX system.
func (s *Sim) collect() {
	reached := map[*inode]bool{}
	for _, d := range s.dirs {
		for _, ino := range d.names {
			reached[ino] = true
		}
		for _, ino := range d.durable {
			reached[ino] = true
		}
	}
	for i, ino := range s.inodes {
		if ino != nil && !reached[ino] {
			s.inodes[i] = nil
		}
	}
}

// usedBytes is the space every existing file takes.
func (s *Sim) usedBytes() int64 {
	var n int64
	for _, ino := range s.inodes {
		if ino != nil {
			n += max(int64(len(ino.data)), int64(len(ino.durable)))
		}
	}
	return n
}

// drawLatency adds one write latency to the accumulated latency.
func (s *Sim) drawLatency() {
	if s.suspend || s.cfg.WriteLatencyMax == 0 {
		return
	}
	lat := s.cfg.WriteLatencyMin
	if span := s.cfg.WriteLatencyMax - s.cfg.WriteLatencyMin; span > 0 {
		lat += time.Duration(s.rng.Int64N(int64(span) + 1))
	}
	s.latency += lat
}

// TakeLatency returns the latency the writes since the last call drew,
// and resets it. A simulator adds it to the time a batch of work takes.
func (s *Sim) TakeLatency() time.Duration {
	l := s.latency
	s.latency = 0
	return l
}

// Files returns the paths of every file that has a name now, sorted.
func (s *Sim) Files() []string {
	var out []string
	for dp, d := range s.dirs {
		for n := range d.names {
			out = append(out, path.Join(dp, n))
		}
	}
	sort.Strings(out)
	return out
}

// nameOf returns a current path of ino, or "" if it has none (for
// reports).
func (s *Sim) nameOf(ino *inode) string {
	best := ""
	for dp, d := range s.dirs {
		for n, x := range d.names {
			if p := path.Join(dp, n); x == ino && (best == "" || p < best) {
				best = p
			}
		}
	}
	return best
}

// inodeAt returns the inode named p now, or nil.
func (s *Sim) inodeAt(p string) *inode {
	d, base, err := s.lookup(p)
	if err != nil {
		return nil
	}
	return d.names[base]
}

// String summarizes the disk, for debugging.
func (s *Sim) String() string {
	var b strings.Builder
	for _, p := range s.Files() {
		ino := s.inodeAt(p)
		fmt.Fprintf(&b, "%s: %d bytes (%d durable, %d unsynced writes)\n", p, len(ino.data), len(ino.durable), len(ino.pending))
	}
	return b.String()
}
