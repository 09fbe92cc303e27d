package server

import (
	"errors"
	"fmt"
)

// ErrUnknownOutcome: the request was proposed, but the server can no
// longer tell whether it will take effect: this node lost leadership
// before applying it, the server stopped, or the caller gave up waiting.
// It may still commit. A client that must know retries with the same
// client ID and sequence number (kv sessions make that safe).
var ErrUnknownOutcome = errors.New("server: outcome unknown")

// The causes of ErrUnknownOutcome, so that a client reads why.
var (
	errLeadershipLost = fmt.Errorf("%w: this node stopped leading before the command was applied; it may still commit", ErrUnknownOutcome)
	errStoppedPending = fmt.Errorf("%w: the server stopped before the command was applied; it may still commit", ErrUnknownOutcome)
	// A snapshot from the leader replaced the entries: whether the
	// command was among them, this node cannot tell.
	errCoveredBySnapshot = fmt.Errorf("%w: a snapshot from the leader covered the command's entry", ErrUnknownOutcome)
)

// ErrBusy: the request was not proposed, because a bound was reached (the
// request queue, or the leader's uncommitted entries). Retrying later is
// safe.
var ErrBusy = errors.New("server: busy, request not proposed")

// ErrOverwritten: the request's entry was replaced in the log by another
// leader's entry, so it never took effect. Retrying is safe.
var ErrOverwritten = errors.New("server: request lost to a leader change, not applied")

// ErrReadAborted: a read could not be confirmed because this node lost
// leadership first. Reads change nothing; retrying is safe.
var ErrReadAborted = errors.New("server: read aborted by a leader change")

// ErrStopped: the server is not running.
var ErrStopped = errors.New("server: stopped")
