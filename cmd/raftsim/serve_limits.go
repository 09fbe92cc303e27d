package main

import "github.com/raftsim/raftsim/raft/resp"

// checkLimits checks the client limits' flags: each must be at least 1
// (resp.Limits reads 0 as "the default", which a flag must not mean) and
// at most resp's maximum.
func (f *serveFlags) checkLimits() error {
	l := f.limits
	switch {
	case l.MaxBulkBytes < 1 || l.MaxBulkBytes > resp.MaxBulkBytesMax:
		return usageErrorf("--max-bulk-len: %d is outside [1, %s]", l.MaxBulkBytes, bytesValue{ptr(int64(resp.MaxBulkBytesMax))})
	case l.MaxArgs < 1 || l.MaxArgs > resp.MaxArgsMax:
		return usageErrorf("--max-args: %d is outside [1, %d]", l.MaxArgs, resp.MaxArgsMax)
	case l.MaxQueryBytes < 1 || l.MaxQueryBytes > resp.MaxQueryBytesMax:
		return usageErrorf("--max-query-buffer: %d is outside [1, %s]", l.MaxQueryBytes, bytesValue{ptr(int64(resp.MaxQueryBytesMax))})
	case l.MaxConns < 1 || l.MaxConns > resp.MaxConnsMax:
		return usageErrorf("--max-clients: %d is outside [1, %d]", l.MaxConns, resp.MaxConnsMax)
	case f.maxSessions < 0 || f.maxSessions > maxSessionsFlag:
		return usageErrorf("--max-sessions: %d is outside [0, %d]", f.maxSessions, maxSessionsFlag)
	case f.sessionIdle > 0 && f.maxSessions == 0:
		return usageErrorf("--session-idle-entries: needs a bounded session table (--max-sessions above 0)")
	}
	return nil
}

// defaultMaxSessions is --max-sessions' default: a bounded table, so that
// no client can grow a node's memory by inventing client IDs.
const defaultMaxSessions = 10_000

// maxSessionsFlag bounds --max-sessions (each session holds a reply of
// up to 1 MiB).
const maxSessionsFlag = 10_000_000

func ptr[T any](v T) *T { return &v }
