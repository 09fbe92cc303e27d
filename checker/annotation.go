package checker

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/anishathalye/porcupine"

	"github.com/raftsim/raftsim/raft"
)

// Annotation marks something that happened around the operations - a
// fault or a leader change - so that the visualization of an illegal
// history shows it next to the operations it may explain. Times are
// virtual nanoseconds, as in [Operation].
type Annotation struct {
	Start int64
	// End < Start or End == Start marks a point in time (a leader change).
	End int64
	// Label is the short text drawn on the bar: "partition {1,2} | {3}".
	Label string
	// Description is the longer text of the tooltip.
	Description string
	// Track names the row the annotation is drawn on, e.g. "faults" or
	// "leader". Rows are sorted by name. Annotations that overlap in time
	// should use different tracks, or they are drawn over each other.
	Track string
	// Node, if not raft.None, adds "node N" to the row name.
	Node raft.NodeID
	// OnClient draws the annotation on the row of client ClientID instead
	// (a client-side pause, say), if that client has operations on the
	// visualized key; otherwise on a row named after the client.
	OnClient bool
	ClientID uint64
}

// toPorcupineAnnotations maps annotations onto the rows of one partition,
// whose clients (sorted, one row each) are given.
func toPorcupineAnnotations(annotations []Annotation, clients []uint64) []porcupine.Annotation {
	out := make([]porcupine.Annotation, 0, len(annotations))
	for _, a := range annotations {
		p := porcupine.Annotation{
			Start:       a.Start,
			End:         max(a.End, a.Start),
			Description: a.Label,
			Details:     a.Description,
			Tag:         a.row(),
		}
		if a.OnClient {
			if row, ok := slices.BinarySearch(clients, a.ClientID); ok {
				p.ClientId, p.Tag = row, ""
			}
		}
		if p.Details == "" {
			p.Details = a.Label
		}
		p.Details += fmt.Sprintf(" [%d, %d]", p.Start, p.End)
		out = append(out, p)
	}
	return out
}

// row is the name of the row the annotation is drawn on when it is not
// drawn on a client's own row.
func (a Annotation) row() string {
	name := a.Track
	if a.OnClient {
		name = "client " + strconv.FormatUint(a.ClientID, 10)
	} else if a.Node != raft.None {
		if name != "" {
			name += " "
		}
		name += "node " + strconv.FormatUint(uint64(a.Node), 10)
	}
	if name == "" {
		name = "events"
	}
	return name
}
