package sim

import (
	"errors"
	"fmt"
	"slices"

	"github.com/raftsim/raftsim/netsim"
	"github.com/raftsim/raftsim/raft"
)

// Link settings per message class or type: [network]'s requests and
// responses settings (Config.NetworkKinds), and link actions with
// Messages or MsgTypes. A setting for some messages overrides, for those
// messages, the link's setting for all, on every link or on From -> To.
// Every setting ends with the fault phase - the healing phase restores
// the [network] settings - except those of link actions with
// OutliveHeal, applied again, in timeline order, after the defaults. A
// link's bandwidth is the link's, for every message: a setting for some
// messages leaves it alone.

// KindLink is a link setting for some messages only.
type KindLink struct {
	// Messages selects requests or responses; Types, when not empty,
	// names message types instead.
	Messages MessageClass
	Types    []raft.MessageType
	Link     netsim.LinkConfig
}

// kinds lists the message types a class or list selects.
func messageKinds(class MessageClass, types []raft.MessageType) []raft.MessageType {
	if len(types) > 0 {
		return types
	}
	var out []raft.MessageType
	for t := raft.MessageType(1); int(t) < raft.NumMessageTypes; t++ {
		if class.counts(t) {
			out = append(out, t)
		}
	}
	return out
}

func (k *KindLink) validate() error {
	if k.Messages == MessagesAll && len(k.Types) == 0 {
		return errors.New("messages: a setting for some messages names requests, responses or message types")
	}
	if err := validateTypes(k.Types); err != nil {
		return err
	}
	return k.Link.Validate()
}

func validateTypes(types []raft.MessageType) error {
	for i, t := range types {
		if t == 0 || int(t) >= raft.NumMessageTypes {
			return fmt.Errorf("messages: %d is not a message type", t)
		}
		if slices.Contains(types[:i], t) {
			return fmt.Errorf("messages: %v is listed twice", t)
		}
	}
	return nil
}

// setKinds applies a setting for some messages to the link from -> to, or
// to every link when from is 0.
func (s *Simulator) setKinds(from, to raft.NodeID, kinds []raft.MessageType, cfg netsim.LinkConfig) {
	for _, f := range s.ids {
		for _, t := range s.ids {
			if f == t || from != 0 && (f != from || t != to) {
				continue
			}
			for _, k := range kinds {
				must(s.net.SetLinkKind(f, t, k, cfg))
			}
		}
	}
}

// applyNetworkKinds applies [network]'s settings for some messages.
func (s *Simulator) applyNetworkKinds() {
	for i := range s.cfg.NetworkKinds {
		k := &s.cfg.NetworkKinds[i]
		s.setKinds(0, 0, messageKinds(k.Messages, k.Types), k.Link)
	}
}

// applyLink carries out a link action.
func (s *Simulator) applyLink(a *Action) {
	switch {
	case a.Messages != MessagesAll || len(a.MsgTypes) > 0:
		s.setKinds(a.From, a.To, messageKinds(a.Messages, a.MsgTypes), a.Link)
	case a.From == 0:
		must(s.net.SetDefault(a.Link))
	default:
		must(s.net.SetLink(a.From, a.To, a.Link))
	}
}

// reapplyOutliving applies again, after the healing phase reset the
// links, the settings declared to outlive it.
func (s *Simulator) reapplyOutliving() {
	for _, i := range s.outliving {
		s.applyLink(&s.cfg.Timeline[i])
	}
}
