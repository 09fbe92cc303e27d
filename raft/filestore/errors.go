package filestore

import (
	"errors"
	"fmt"
)

// ErrCorrupt matches every *CorruptionError with errors.Is.
var ErrCorrupt = errors.New("filestore: corrupt log")

// ErrClosed is returned by every method of a closed Store.
var ErrClosed = errors.New("filestore: store is closed")

// ErrInvalidArgument is returned, wrapped with the details, when a caller
// breaks the Storage contract: entries that are not consecutive, an Append
// that would leave a gap, an entry too large for a record, lo > hi.
// Nothing was written.
var ErrInvalidArgument = errors.New("filestore: invalid argument")

// ErrFailed is returned, wrapping the original error, by every call after a
// write or fsync failed. After a failed fsync the kernel may have dropped
// the dirty pages, so the only safe way on is to Close the store and Open
// it again, which re-reads what really is on disk.
var ErrFailed = errors.New("filestore: store failed")

// CorruptionError reports data on disk that recovery cannot explain as a
// torn write: Open refuses to guess and returns it rather than lose or
// invent log entries.
type CorruptionError struct {
	// File is the path of the damaged (or missing) segment or snapshot
	// file.
	File string
	// Offset is the byte offset in File of the damaged record, or 0 for
	// the segment header.
	Offset int64
	// Reason says what is wrong, for a human.
	Reason string
	// checksum is set when bytes failed their checksum (or a header its
	// check) where they were read: damage, which protocol-aware recovery
	// repairs when the store had vouched for them, as opposed to files
	// missing, cut or swapped, which it refuses.
	checksum bool
}

func (e *CorruptionError) Error() string {
	return fmt.Sprintf("filestore: corrupt log: %s at byte %d: %s", e.File, e.Offset, e.Reason)
}

// Is makes errors.Is(err, ErrCorrupt) true for every CorruptionError.
func (e *CorruptionError) Is(target error) bool { return target == ErrCorrupt }
