package resp

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/tidwall/redcon"

	"github.com/raftsim/raftsim/raft"
)

// Membership commands (§6), served by the leader alone: a follower
// answers NOTLEADER with the leader's address, whatever --no-forward
// says, so that an administrator knows which node made a change.
//
//	RAFT.ADDVOTER <id>     add node id as a voter (or promote the learner)
//	RAFT.ADDLEARNER <id>   add node id as a learner (or demote the voter)
//	RAFT.REMOVE <id>       remove node id
//	RAFT.TRANSFER <id>     hand leadership over to node id
//
// A change is answered once applied at the leader, with the configuration
// it made ("voters [1 2 3 4]"); RAFT.TRANSFER with OK once the transfer
// has started (RAFT.STATUS's leader tells when it is done). TRYAGAIN
// means not proposed, for now (a change in flight, a leader that has not
// committed in its term yet, a learner not caught up, a transfer under
// way); ERR a change that makes no sense.

func init() {
	for _, c := range []*command{
		{name: "RAFT.ADDVOTER", arity: 2, class: classLocal, run: confChangeCmd(raft.ConfAddVoter)},
		{name: "RAFT.ADDLEARNER", arity: 2, class: classLocal, run: confChangeCmd(raft.ConfAddLearner)},
		{name: "RAFT.REMOVE", arity: 2, class: classLocal, run: confChangeCmd(raft.ConfRemove)},
		{name: "RAFT.TRANSFER", arity: 2, class: classLocal, run: runTransfer},
	} {
		commandTable[c.name] = c
	}
}

// parseNodeID reads a node ID argument.
func parseNodeID(cmd, s string) (raft.NodeID, []byte) {
	id, err := strconv.ParseUint(s, 10, 64)
	if err != nil || id == 0 {
		return raft.None, errReply("ERR " + cmd + " node ID must be a positive integer")
	}
	return raft.NodeID(id), nil
}

func confChangeCmd(t raft.ConfChangeType) func(*Frontend, *connState, []string) []byte {
	return func(f *Frontend, _ *connState, args []string) []byte {
		id, rep := parseNodeID(strings.ToUpper(args[0]), args[1])
		if rep != nil {
			return rep
		}
		ctx, cancel := context.WithTimeout(f.ctx, f.cfg.RequestTimeout)
		defer cancel()
		cs, err := f.cfg.Server.ChangeConfig(ctx, raft.ConfChange{Changes: []raft.ConfChangeSingle{{Type: t, Node: id}}})
		if err != nil {
			return f.adminError(err)
		}
		return redcon.AppendString(nil, cs.String())
	}
}

func runTransfer(f *Frontend, _ *connState, args []string) []byte {
	id, rep := parseNodeID("RAFT.TRANSFER", args[1])
	if rep != nil {
		return rep
	}
	ctx, cancel := context.WithTimeout(f.ctx, f.cfg.RequestTimeout)
	defer cancel()
	if err := f.cfg.Server.TransferLeadership(ctx, id); err != nil {
		return f.adminError(err)
	}
	return redcon.AppendOK(nil)
}

// adminError turns an error of a membership command into a reply.
func (f *Frontend) adminError(err error) []byte {
	msg := strings.TrimPrefix(err.Error(), "raft: ")
	switch {
	case errors.Is(err, raft.ErrInvalidConfChange), errors.Is(err, raft.ErrInvalidTransfer):
		return errReply("ERR " + msg)
	case errors.Is(err, raft.ErrConfChangeInProgress), errors.Is(err, raft.ErrNotCaughtUp),
		errors.Is(err, raft.ErrLeadershipTransfer), errors.Is(err, raft.ErrProposalDropped):
		return errReply(CodeTryAgain + " " + msg + "; not proposed")
	}
	return f.serverError(err)
}
