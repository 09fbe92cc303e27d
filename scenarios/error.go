package scenarios

import (
	"fmt"
	"strings"
)

// Error is bad input in a scenario file: the file, the 1-based line (0
// for the file as a whole), the field's path ("raft.election_ticks",
// "timeline[2].nodes"; empty when no field is to blame) and what is wrong.
// Its text is "FILE:LINE: FIELD: message". Every error Parse returns for bad
// content is an *Error; the command line exits with status 2 on one.
type Error struct {
	File  string
	Line  int
	Field string
	Msg   string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}
