package resp

import (
	"fmt"

	"github.com/raftsim/raftsim/raft/kv"
)

// Limits bound what one client can make a node hold. Each is enforced
// before the input it refuses is buffered: the client gets an error reply
// that names the limit, and the connection is closed (a stream cut in the
// middle of a command cannot be resynchronized). The zero value of a field
// means its default.
type Limits struct {
	// MaxBulkBytes bounds one argument (a RESP bulk string). Default
	// DefaultMaxBulkBytes, the longest value the key-value store takes:
	// a longer one could only be refused after it was read.
	MaxBulkBytes int64
	// MaxArgs bounds the arguments of one command, the command name
	// included (for an inline command, its space-separated words).
	// Default DefaultMaxArgs; the longest command the server knows has 7.
	MaxArgs int
	// MaxQueryBytes bounds the input a connection has sent and the server
	// holds unanswered: the command being received, headers included.
	// Pipelined commands after it are read only once it is answered, at
	// most readChunkBytes at a time, so a connection's read buffer stays
	// below about 2 * (MaxQueryBytes + readChunkBytes) (the RESP reader
	// grows its buffer by doubling). Default DefaultMaxQueryBytes, room for
	// the largest valid command (a CAS of two MaxBulkBytes values).
	MaxQueryBytes int64
	// MaxConns bounds the open client connections; one more gets an
	// error reply and is closed. Default DefaultMaxConns.
	MaxConns int
}

// The defaults of Limits, and the largest values accepted.
const (
	DefaultMaxBulkBytes  = kv.MaxValueBytes
	DefaultMaxArgs       = 1024
	DefaultMaxQueryBytes = 4 << 20
	DefaultMaxConns      = 10_000

	MaxBulkBytesMax  = 512 << 20 // Redis's own proto-max-bulk-len default
	MaxArgsMax       = 1 << 20   // Redis's own multibulk limit
	MaxQueryBytesMax = 1 << 30   // Redis's own client-query-buffer-limit
	MaxConnsMax      = 1 << 20
)

// readChunkBytes bounds one read from a client connection, and so the
// pipelined input the server parses at once.
const readChunkBytes = 64 << 10

// withDefaults fills in zero fields and checks the rest.
func (l Limits) withDefaults() (Limits, error) {
	if l.MaxBulkBytes == 0 {
		l.MaxBulkBytes = DefaultMaxBulkBytes
	}
	if l.MaxArgs == 0 {
		l.MaxArgs = DefaultMaxArgs
	}
	if l.MaxQueryBytes == 0 {
		l.MaxQueryBytes = DefaultMaxQueryBytes
	}
	if l.MaxConns == 0 {
		l.MaxConns = DefaultMaxConns
	}
	switch {
	case l.MaxBulkBytes < 1 || l.MaxBulkBytes > MaxBulkBytesMax:
		return l, fmt.Errorf("MaxBulkBytes %d is outside [1, %d]", l.MaxBulkBytes, MaxBulkBytesMax)
	case l.MaxArgs < 1 || l.MaxArgs > MaxArgsMax:
		return l, fmt.Errorf("MaxArgs %d is outside [1, %d]", l.MaxArgs, MaxArgsMax)
	case l.MaxQueryBytes < 1 || l.MaxQueryBytes > MaxQueryBytesMax:
		return l, fmt.Errorf("MaxQueryBytes %d is outside [1, %d]", l.MaxQueryBytes, MaxQueryBytesMax)
	case l.MaxConns < 1 || l.MaxConns > MaxConnsMax:
		return l, fmt.Errorf("MaxConns %d is outside [1, %d]", l.MaxConns, MaxConnsMax)
	}
	return l, nil
}
