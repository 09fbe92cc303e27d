package scenarios

import (
	"os"
	"strings"
	"testing"
)

// The scenario the README shows parses and meets its expectation: the
// README stays true.
func TestReadmeScenario(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "```toml\n")
	src, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("README.md has no ```toml block")
	}
	s, err := Parse("README.md", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	res := runSeed(t, s, s.Seed, nil)
	if err := s.Expect.Check(res); err != nil || !res.LivenessChecked {
		t.Fatalf("README scenario: %v (liveness checked: %v)", err, res.LivenessChecked)
	}
}
