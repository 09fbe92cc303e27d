package scenarios

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// maxDepthSeen is the deepest level the scanner measures in data.
func maxDepthSeen(data []byte) int {
	s := nestScanner{data: data, line: 1, lineStart: true}
	s.scan()
	return s.deepest
}

func TestNestingMeasure(t *testing.T) {
	for _, tc := range []struct {
		text string
		want int
	}{
		{"a = 1", 1},
		{"a.b.c = 1", 3},
		{"[x]\na = 1", 2},
		{"[x.y]\na.b = 1", 4},
		{"[[x]]\na = 1", 3},
		{"a = [1, [2, [3]]]", 4},
		{"a = {b = {c.d = 1}}", 4},
		{"a = [{b = 1}]", 3},
		{`"a.b.c" = 1`, 1},
		{"a = \"[[[[\"\nb = 1", 1},
		{"a = '''\n[[[[\n''' # [[[\nb = 1", 1},
		{"a = \"\"\"x\"\"\"\"\nb.c = [1]", 3},
		{"# [[[[[\na = 1", 1},
		{"a = [\n  [1],\n  [2],\n]\n[t]\nb = 1", 3},
	} {
		if got := maxDepthSeen([]byte(tc.text)); got != tc.want {
			t.Errorf("%q: depth %d, want %d", tc.text, got, tc.want)
		}
	}
}

// The library and the test scenarios nest far below the limit.
func TestNestingOfKnownScenarios(t *testing.T) {
	files, _ := filepath.Glob("library/*.toml")
	more, _ := filepath.Glob("testdata/*.toml")
	files = append(files, more...)
	if len(files) < 10 {
		t.Fatalf("found only %d scenario files", len(files))
	}
	deepest, where := 0, ""
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if d := maxDepthSeen(data); d > deepest {
			deepest, where = d, f
		}
		if err := checkNesting(f, data); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	t.Logf("deepest: %d levels (%s)", deepest, where)
	if deepest > 5 {
		t.Errorf("%s nests %d levels deep; MaxNesting's comment says 5 at most", where, deepest)
	}
}

// A file just inside the limit parses (or fails for other reasons); one
// level more is refused before the TOML library sees it, naming the
// limit and the line.
func TestNestingLimit(t *testing.T) {
	dotted := func(n int) string { return strings.Repeat("a.", n-1) + "a = 1\n" }
	arrays := func(n int) string { return "x = " + strings.Repeat("[", n-1) + strings.Repeat("]", n-1) + "\n" }
	inline := func(n int) string {
		return "x = " + strings.Repeat("{a = ", n-1) + "1" + strings.Repeat("}", n-1) + "\n"
	}
	header := func(n int) string { return "name = \"n\"\n[" + strings.Repeat("t.", n-1) + "t]\n" }
	for name, gen := range map[string]func(int) string{"dotted": dotted, "arrays": arrays, "inline": inline, "header": header} {
		inside := []byte(gen(MaxNesting))
		if err := checkNesting("s.toml", inside); err != nil {
			t.Errorf("%s at the limit: %v", name, err)
		}
		if _, err := Parse("s.toml", inside); err != nil && strings.Contains(err.Error(), "MaxNesting") {
			t.Errorf("%s at the limit refused: %v", name, err)
		}
		_, err := Parse("s.toml", []byte(gen(MaxNesting+1)))
		var se *Error
		if !errors.As(err, &se) || !strings.Contains(se.Msg, "MaxNesting") || se.Line < 1 {
			t.Errorf("%s one past the limit: got %v, want an *Error naming MaxNesting and a line", name, err)
		}
	}
	// The kind of input that exhausts the TOML library's memory (20,000
	// parts take gigabytes; 2,000 are enough to show it is refused).
	deep := []byte(strings.Repeat("a.", 2_000) + "a = 1\n")
	if _, err := Parse("deep.toml", deep); err == nil || !strings.Contains(err.Error(), "MaxNesting") {
		t.Fatalf("2,000 dotted parts: %v", err)
	}
}
