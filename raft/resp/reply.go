package resp

import (
	"errors"
	"fmt"
	"strings"

	"github.com/tidwall/redcon"

	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/raft/kv"
	"github.com/raftsim/raftsim/raft/server"
)

// Error codes, the first word of an error reply. Clients tell a definite
// refusal (the command did not and will not take effect) from an unknown
// outcome by the code alone:
//
//	ERR        bad command, arguments or value: not applied
//	NOTLEADER  this node is not the leader and does not forward: not applied
//	TRYAGAIN   a bound was reached or the server is stopping: not applied
//	ABORTED    lost to a leader change: not applied
//	STALE      a retry older than the session's last command: not applied
//	SESSIONEXPIRED  the session is gone (bounded sessions): not applied by
//	           this attempt; an earlier attempt's outcome stays unknown
//	UNKNOWN    proposed, but whether it will take effect is unknown
const (
	CodeNotLeader      = "NOTLEADER"
	CodeTryAgain       = "TRYAGAIN"
	CodeAborted        = "ABORTED"
	CodeStale          = "STALE"
	CodeSessionExpired = "SESSIONEXPIRED"
	CodeUnknown        = "UNKNOWN"
)

func errReply(msg string) []byte { return redcon.AppendError(nil, msg) }

func errWrongArity(name string) []byte {
	return errReply(fmt.Sprintf("ERR wrong number of arguments for '%s' command", strings.ToLower(name)))
}

// serverError turns an error of raft/server into a reply.
func (f *Frontend) serverError(err error) []byte {
	var nl *raft.NotLeaderError
	switch {
	case errors.As(err, &nl):
		if nl.Leader == raft.None {
			return errReply(CodeNotLeader + " no leader known")
		}
		return errReply(fmt.Sprintf("%s leader is node %d at %s", CodeNotLeader, nl.Leader, f.cfg.PeerClientAddr(nl.Leader)))
	case errors.Is(err, server.ErrBusy):
		return errReply(CodeTryAgain + " server busy, not proposed")
	case errors.Is(err, server.ErrStopped):
		return errReply(CodeTryAgain + " server stopping, not proposed")
	case errors.Is(err, server.ErrOverwritten), errors.Is(err, server.ErrReadAborted):
		return errReply(CodeAborted + " " + strings.TrimPrefix(err.Error(), "server: "))
	case errors.Is(err, server.ErrUnknownOutcome):
		return errReply(CodeUnknown + " " + strings.TrimPrefix(err.Error(), "server: "))
	case errors.Is(err, kv.ErrInvalidCommand):
		return errReply("ERR " + strings.TrimPrefix(err.Error(), "kv: invalid command: "))
	}
	return errReply(CodeUnknown + " " + err.Error())
}

// statusError turns a kv status other than OK into a reply, or nil.
func statusError(r kv.Response) []byte {
	switch r.Status {
	case kv.StatusStaleSequence:
		return errReply(CodeStale + " sequence number below the session's last; not applied")
	case kv.StatusValueTooLarge:
		return errReply(fmt.Sprintf("ERR value would exceed %d bytes; not applied", kv.MaxValueBytes))
	case kv.StatusBadCommand:
		return errReply("ERR the command did not decode; not applied")
	case kv.StatusSessionExpired:
		return errReply(CodeSessionExpired + " the session expired, was evicted or was never registered; not applied (SESSION REGISTER opens a new one; an earlier attempt of this command may have been applied)")
	}
	return nil
}
