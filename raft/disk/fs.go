package disk

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"syscall"
)

// FS is the file system a durable store does all its I/O through: the
// operating system's (OS), or a simulated disk (Sim) that a simulator can
// fault. It names files by slash-separated paths.
//
// The durability rules are the POSIX ones a careful store relies on, and
// Sim enforces exactly them:
//
//   - a write is durable once File.Sync on its file returns nil, and not
//     before;
//   - creating, renaming or removing a file is durable once SyncDir on its
//     directory returns nil, and not before: a file whose data was synced
//     can still vanish in a power loss if its name never was;
//   - after Sync returns an error, the writes it was to make durable may
//     be lost whatever later calls return (the "fsyncgate" lesson): the
//     only safe reaction is to stop using the file and re-read what the
//     disk holds.
type FS interface {
	// OpenFile opens name with os.OpenFile's flags (O_RDONLY, O_RDWR,
	// O_CREATE, O_EXCL, O_TRUNC are the ones a store needs).
	OpenFile(name string, flag int, perm fs.FileMode) (File, error)
	// ReadDir lists dir, sorted by name.
	ReadDir(dir string) ([]DirEntry, error)
	// Stat describes name.
	Stat(name string) (FileInfo, error)
	// MkdirAll creates dir and its missing parents.
	MkdirAll(dir string, perm fs.FileMode) error
	// Rename replaces newpath by oldpath, atomically.
	Rename(oldpath, newpath string) error
	// Remove deletes a file or an empty directory.
	Remove(name string) error
	// SyncDir makes the creation, renaming and removal of the entries of
	// dir durable.
	SyncDir(dir string) error
}

// File is an open file. Offsets are explicit: a store knows where each
// record goes, so nothing depends on a shared file position.
type File interface {
	ReadAt(p []byte, off int64) (int, error)
	// WriteAt writes p at off, extending the file (with zeros) if off is
	// past its end.
	WriteAt(p []byte, off int64) (int, error)
	// Sync makes every write to the file durable (fsync).
	Sync() error
	// Truncate sets the file's size.
	Truncate(size int64) error
	// Size is the file's size.
	Size() (int64, error)
	Close() error
}

// DirEntry is one name in a directory.
type DirEntry struct {
	Name  string
	IsDir bool
}

// FileInfo is what Stat tells.
type FileInfo struct {
	Size  int64
	IsDir bool
}

// Errors a store must tell apart. The simulated disk returns the same
// errno values as the operating system, so errors.Is works alike on both.
var (
	// ErrNoSpace is returned by a write that needs space the disk lacks.
	ErrNoSpace error = syscall.ENOSPC
	// ErrIO is returned by a failed write or fsync.
	ErrIO error = syscall.EIO
	// ErrStale is returned by every call on a file handle that outlived
	// the process that opened it (Sim.Crash, Sim.PowerLoss): a bug in the
	// caller, which must reopen its files after a restart.
	ErrStale = errors.New("disk: file handle from before a crash")
)

// Ratio is a probability as an integer ratio, Num/Den. The zero Ratio is
// never; Den must be positive when Num is, and Num at most Den.
type Ratio struct {
	Num, Den uint32
}

// Validate reports a Ratio that is not a probability.
func (r Ratio) Validate() error {
	if r.Num == 0 {
		return nil
	}
	if r.Den == 0 || r.Num > r.Den {
		return fmt.Errorf("disk: %d/%d is not a probability", r.Num, r.Den)
	}
	return nil
}

// chance draws true with probability Num/Den; certain outcomes draw
// nothing, so a disk without faults consumes no randomness for them.
func (r Ratio) chance(rng *rand.Rand) bool {
	switch {
	case r.Num == 0:
		return false
	case r.Num >= r.Den:
		return true
	}
	return rng.Uint32N(r.Den) < r.Num
}

func (r Ratio) String() string {
	if r.Num == 0 {
		return "0"
	}
	return fmt.Sprintf("%d/%d", r.Num, r.Den)
}
