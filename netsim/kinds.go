package netsim

import (
	"fmt"

	"github.com/raftsim/raftsim/raft"
)

// Settings per message kind: a link may treat one kind of message
// differently from the rest, as a test harness that delays or drops only
// replies does. A kind's setting overrides the link's own for that kind
// until ResetLink; SetLink and SetDefault leave it alone.

// kindLink is a link's setting for one message kind.
type kindLink struct {
	set bool
	cfg LinkConfig
}

// config returns the setting that applies to a message of kind on l.
func (l *link) config(kind raft.MessageType) *LinkConfig {
	if l.kinds != nil && int(kind) < len(l.kinds) && l.kinds[kind].set {
		return &l.kinds[kind].cfg
	}
	return &l.cfg
}

// SetLinkKind sets the configuration of from -> to for messages of kind
// alone.
func (n *Network) SetLinkKind(from, to raft.NodeID, kind raft.MessageType, cfg LinkConfig) error {
	l, err := n.lookup(from, to)
	if err != nil {
		return fmt.Errorf("netsim: SetLinkKind: %w", err)
	}
	if kind == 0 || int(kind) >= raft.NumMessageTypes {
		return fmt.Errorf("netsim: SetLinkKind %d->%d: %v is not a message kind", from, to, kind)
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("netsim: SetLinkKind %d->%d %v: %w", from, to, kind, err)
	}
	if l.kinds == nil {
		l.kinds = make([]kindLink, raft.NumMessageTypes)
	}
	l.kinds[kind] = kindLink{set: true, cfg: cfg}
	return nil
}

// LinkKind returns the configuration that applies to messages of kind on
// from -> to.
func (n *Network) LinkKind(from, to raft.NodeID, kind raft.MessageType) (LinkConfig, error) {
	l, err := n.lookup(from, to)
	if err != nil {
		return LinkConfig{}, fmt.Errorf("netsim: LinkKind: %w", err)
	}
	return *l.config(kind), nil
}
