package scenarios

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/raftsim/raftsim/sim"
)

// Each limit of a scenario file, with an input just inside it (accepted)
// and just outside (an *Error naming the limit).
func TestScenarioLimits(t *testing.T) {
	head := "nodes = 5\nduration = \"2s\"\n"
	pad := func(n int) string { // a file of exactly n bytes
		body := head + "#"
		return body + strings.Repeat("x", n-len(body)-1) + "\n"
	}
	cases := []struct {
		name            string
		inside, outside string
		want            string
	}{
		{"size", pad(maxFileBytes), pad(maxFileBytes + 1), "larger than 1048576 bytes"},
		{"nodes", "nodes = " + strconv.Itoa(sim.MaxNodes) + "\n", "nodes = " + strconv.Itoa(sim.MaxNodes+1) + "\n", "nodes: 16 is outside [1, 15]"},
		{"voters", "nodes = 15\nvoters = 15\n", "nodes = 15\nvoters = 16\n", "voters: 16 is outside [1, 15]"},
		{"clients", head + "[workload]\nclients = 10000\n", head + "[workload]\nclients = 10001\n", "workload.clients: 10001 is outside [0, 10000]"},
		{"nesting", strings.Repeat("a.", MaxNesting-1) + "a = 1\n", strings.Repeat("a.", MaxNesting) + "a = 1\n", "nested more than 32 levels deep (MaxNesting"},
	}
	for _, c := range cases {
		_, err := Parse("s.toml", []byte(c.inside))
		if c.name == "nesting" {
			// Deep but unknown keys: refused, but not for their depth.
			if err == nil || strings.Contains(err.Error(), "MaxNesting") {
				t.Errorf("%s just inside: %v", c.name, err)
			}
		} else if err != nil {
			t.Errorf("%s just inside: %v", c.name, err)
		}
		_, err = Parse("s.toml", []byte(c.outside))
		var se *Error
		if !errors.As(err, &se) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s just outside: got %v, want an *Error with %q", c.name, err, c.want)
		}
	}
}
