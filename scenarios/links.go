package scenarios

import (
	"slices"
	"strings"

	"github.com/raftsim/raftsim/netsim"
	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/sim"
)

// Link settings for some messages: [network.requests] and
// [network.responses] override [network] for those messages (keys left out
// keep [network]'s values), and a link action's messages = "requests",
// "responses" or a list of message types ["App", "AppResp"] narrows it to
// those. outlive_heal = true keeps a link action's setting through the
// healing phase.

// messageClasses are the sub-tables of [network], in file order.
var messageClasses = []sim.MessageClass{sim.MessagesRequests, sim.MessagesResponses}

func decodeNetworkKinds(t *table, base netsim.LinkConfig) []sim.KindLink {
	var out []sim.KindLink
	for _, class := range messageClasses {
		sub := t.sub(class.String())
		if sub == nil {
			continue
		}
		if sub.has("bandwidth") {
			sub.get("bandwidth")
			sub.fail("bandwidth", "a bandwidth is the link's, for every message: set it in [network]")
			return nil
		}
		link := decodeLink(sub, base)
		sub.finish()
		out = append(out, sim.KindLink{Messages: class, Link: link})
	}
	return out
}

// decodeMessages reads messages = "requests" | "responses" | "all" | a list
// of message types.
func decodeMessages(t *table, a *sim.Action) {
	v, ok := t.get("messages")
	if !ok {
		return
	}
	switch v := v.(type) {
	case string:
		switch v {
		case sim.MessagesAll.String():
		case sim.MessagesRequests.String():
			a.Messages = sim.MessagesRequests
		case sim.MessagesResponses.String():
			a.Messages = sim.MessagesResponses
		default:
			t.fail("messages", `%q is not "all", "requests", "responses" or a list of message types such as ["App", "AppResp"]`, v)
		}
	case []any:
		if len(v) == 0 {
			t.fail("messages", "an empty list of message types")
			return
		}
		for i, e := range v {
			name, isStr := e.(string)
			mt, known := parseMessageType(name)
			path := indexPath(t.field("messages"), i)
			switch {
			case !isStr:
				t.d.fail(path, "is %s, want a message type such as \"AppResp\"", typeName(e))
				return
			case !known:
				t.d.fail(path, "%q is not a message type (%s)", name, messageTypeNames())
				return
			case slices.Contains(a.MsgTypes, mt):
				t.d.fail(path, "%q is listed twice", name)
				return
			}
			a.MsgTypes = append(a.MsgTypes, mt)
		}
	default:
		t.wrongType("messages", v, `"requests", "responses" or a list of message types`)
	}
}

func parseMessageType(name string) (raft.MessageType, bool) {
	for t := raft.MessageType(1); int(t) < raft.NumMessageTypes; t++ {
		if t.String() == name {
			return t, true
		}
	}
	return 0, false
}

func messageTypeNames() string {
	var names []string
	for t := raft.MessageType(1); int(t) < raft.NumMessageTypes; t++ {
		names = append(names, t.String())
	}
	return strings.Join(names, ", ")
}

// messagesValue writes what decodeMessages reads.
func messagesValue(a *sim.Action) string {
	if len(a.MsgTypes) == 0 {
		return quote(a.Messages.String())
	}
	names := make([]string, len(a.MsgTypes))
	for i, t := range a.MsgTypes {
		names[i] = t.String()
	}
	return stringList(names)
}

// linkBase is what a link action's keys left out keep: [network], or for
// a link action on requests or responses, that class's setting if the
// file has one.
func linkBase(cfg *sim.Config, a *sim.Action) netsim.LinkConfig {
	for _, k := range cfg.NetworkKinds {
		if len(a.MsgTypes) == 0 && a.Messages != sim.MessagesAll && k.Messages == a.Messages {
			return k.Link
		}
	}
	return cfg.Network
}
