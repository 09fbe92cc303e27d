package raft

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ConfState is a cluster configuration (§6): who votes and who only
// listens. A configuration entry (EntryConfig) carries one, encoded by
// EncodeConfState, and a snapshot records the one in force at its last
// included entry (§7: the entries that set it are gone from the log).
//
// Outside a joint change, Voters are the voting members, a quorum is a
// majority of them, and VotersOutgoing and LearnersNext are empty. During
// a joint change (C_old,new) a quorum is a majority of Voters (C_new) and
// a majority of VotersOutgoing (C_old), both. Every list is sorted,
// without duplicates; Learners share no node with either voter list, and
// LearnersNext lists voters of VotersOutgoing that become learners when
// the joint change ends.
type ConfState struct {
	// Voters are the voting members; during a joint change, those of the
	// incoming configuration (C_new).
	Voters []NodeID
	// Learners receive the log and snapshots but neither vote nor count
	// for commitment.
	Learners []NodeID
	// VotersOutgoing are the voters of the outgoing configuration (C_old)
	// during a joint change, and empty outside one.
	VotersOutgoing []NodeID
	// LearnersNext are nodes that are voters in VotersOutgoing and become
	// learners when the joint change ends.
	LearnersNext []NodeID
	// AutoLeave, in a joint configuration, makes the leader propose the
	// configuration that leaves it as soon as the joint one commits; when
	// false, the joint configuration stays until a ConfChange with no
	// changes asks to leave it.
	AutoLeave bool
}

// maxMembers bounds the members of a configuration, voters and learners
// together; quorum arithmetic keeps per-member scratch space on the stack
// up to this size.
const maxMembers = 64

// memberRole is the part a member plays in a configuration, as a set of
// bits: a node can be a voter in both halves of a joint configuration.
type memberRole uint8

const (
	// roleIncoming: a voter of Voters.
	roleIncoming memberRole = 1 << iota
	// roleOutgoing: a voter of VotersOutgoing.
	roleOutgoing
	// roleLearner: a learner, now (Learners) or once the joint change
	// ends (LearnersNext, whose members still vote in VotersOutgoing).
	roleLearner
)

// roleVoter is a voter of either half.
const roleVoter = roleIncoming | roleOutgoing

// IsJoint reports whether cs is a joint configuration (C_old,new).
func (cs ConfState) IsJoint() bool { return len(cs.VotersOutgoing) > 0 }

// IsVoter reports whether id votes in cs (in either half of a joint
// configuration).
func (cs ConfState) IsVoter(id NodeID) bool {
	return slices.Contains(cs.Voters, id) || slices.Contains(cs.VotersOutgoing, id)
}

// IsLearner reports whether id is a learner of cs and no voter.
func (cs ConfState) IsLearner(id NodeID) bool { return slices.Contains(cs.Learners, id) }

// IsMember reports whether id is a voter or a learner of cs.
func (cs ConfState) IsMember(id NodeID) bool {
	return cs.IsVoter(id) || slices.Contains(cs.Learners, id)
}

// role returns the part id plays in cs; 0 if it is no member.
func (cs ConfState) role(id NodeID) memberRole {
	var r memberRole
	if slices.Contains(cs.Voters, id) {
		r |= roleIncoming
	}
	if slices.Contains(cs.VotersOutgoing, id) {
		r |= roleOutgoing
	}
	if slices.Contains(cs.Learners, id) || slices.Contains(cs.LearnersNext, id) {
		r |= roleLearner
	}
	return r
}

// Members returns every voter and learner of cs, sorted.
func (cs ConfState) Members() []NodeID {
	out := make([]NodeID, 0, len(cs.Voters)+len(cs.VotersOutgoing)+len(cs.Learners))
	out = append(out, cs.Voters...)
	out = append(out, cs.VotersOutgoing...)
	out = append(out, cs.Learners...)
	slices.Sort(out)
	return slices.Compact(out)
}

// Equal reports whether two configurations have the same members in the
// same roles.
func (cs ConfState) Equal(o ConfState) bool {
	return slices.Equal(cs.Voters, o.Voters) && slices.Equal(cs.Learners, o.Learners) &&
		slices.Equal(cs.VotersOutgoing, o.VotersOutgoing) && slices.Equal(cs.LearnersNext, o.LearnersNext) &&
		cs.AutoLeave == o.AutoLeave
}

// clone returns a deep copy, so that a snapshot's configuration never
// aliases the node's.
func (cs ConfState) clone() ConfState {
	return ConfState{
		Voters: slices.Clone(cs.Voters), Learners: slices.Clone(cs.Learners),
		VotersOutgoing: slices.Clone(cs.VotersOutgoing), LearnersNext: slices.Clone(cs.LearnersNext),
		AutoLeave: cs.AutoLeave,
	}
}

func (cs ConfState) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "voters %v", cs.Voters)
	if cs.IsJoint() {
		fmt.Fprintf(&b, " & %v", cs.VotersOutgoing)
	}
	if len(cs.Learners) > 0 {
		fmt.Fprintf(&b, " learners %v", cs.Learners)
	}
	if len(cs.LearnersNext) > 0 {
		fmt.Fprintf(&b, " learners next %v", cs.LearnersNext)
	}
	if cs.AutoLeave {
		b.WriteString(" autoleave")
	}
	return b.String()
}

// validate checks that cs is a configuration the core can run: at least
// one voter (in each half of a joint one), at most maxMembers members,
// every list sorted and unique, no node in two incompatible roles.
func (cs ConfState) validate() error {
	if len(cs.Voters) == 0 {
		return errors.New("configuration has no voters")
	}
	for _, l := range []struct {
		name string
		ids  []NodeID
	}{{"voters", cs.Voters}, {"learners", cs.Learners}, {"outgoing voters", cs.VotersOutgoing}, {"next learners", cs.LearnersNext}} {
		for i, id := range l.ids {
			if id == None {
				return fmt.Errorf("configuration lists node 0 among its %s", l.name)
			}
			if i > 0 && l.ids[i-1] >= id {
				return fmt.Errorf("configuration %s %v are not sorted and unique", l.name, l.ids)
			}
		}
	}
	if n := len(cs.Members()); n > maxMembers {
		return fmt.Errorf("configuration has %d members, at most %d", n, maxMembers)
	}
	for _, id := range cs.Learners {
		if cs.IsVoter(id) {
			return fmt.Errorf("configuration lists node %d as a learner and a voter", id)
		}
	}
	for _, id := range cs.LearnersNext {
		if !slices.Contains(cs.VotersOutgoing, id) || slices.Contains(cs.Voters, id) {
			return fmt.Errorf("configuration lists node %d as a next learner, but it is no outgoing-only voter", id)
		}
	}
	if !cs.IsJoint() && cs.AutoLeave {
		return errors.New("configuration leaves a joint change automatically, but is not joint")
	}
	return nil
}

// confStateVersion is the first byte of an encoded configuration.
const confStateVersion = 1

// EncodeConfState encodes cs as a configuration entry's data: a version
// byte, a flags byte (bit 0: AutoLeave), then Voters, Learners,
// VotersOutgoing and LearnersNext, each as a count and the IDs, in
// unsigned varints.
func EncodeConfState(cs ConfState) []byte {
	b := make([]byte, 0, 2+4+10*(len(cs.Voters)+len(cs.Learners)+len(cs.VotersOutgoing)+len(cs.LearnersNext)))
	b = append(b, confStateVersion)
	var flags byte
	if cs.AutoLeave {
		flags |= 1
	}
	b = append(b, flags)
	for _, ids := range [...][]NodeID{cs.Voters, cs.Learners, cs.VotersOutgoing, cs.LearnersNext} {
		b = binary.AppendUvarint(b, uint64(len(ids)))
		for _, id := range ids {
			b = binary.AppendUvarint(b, uint64(id))
		}
	}
	return b
}

// DecodeConfState decodes what EncodeConfState wrote and checks that it
// is a valid configuration.
func DecodeConfState(b []byte) (ConfState, error) {
	var cs ConfState
	if len(b) < 2 {
		return cs, fmt.Errorf("configuration of %d bytes is too short", len(b))
	}
	if b[0] != confStateVersion {
		return cs, fmt.Errorf("configuration version %d, want %d", b[0], confStateVersion)
	}
	if b[1]&^1 != 0 {
		return cs, fmt.Errorf("configuration flags %#x are unknown", b[1])
	}
	cs.AutoLeave = b[1]&1 != 0
	b = b[2:]
	for _, ids := range [...]*[]NodeID{&cs.Voters, &cs.Learners, &cs.VotersOutgoing, &cs.LearnersNext} {
		n, k := binary.Uvarint(b)
		if k <= 0 || n > maxMembers {
			return cs, errors.New("configuration list length is corrupt or too long")
		}
		b = b[k:]
		for range n {
			id, k := binary.Uvarint(b)
			if k <= 0 {
				return cs, errors.New("configuration member is corrupt")
			}
			b = b[k:]
			*ids = append(*ids, NodeID(id))
		}
	}
	if len(b) != 0 {
		return cs, fmt.Errorf("configuration has %d trailing bytes", len(b))
	}
	return cs, cs.validate()
}
