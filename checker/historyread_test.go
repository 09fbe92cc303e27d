package checker

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// withLimit sets one of the read limits for a test, then puts it back.
func withLimit[T any](t *testing.T, v *T, to T) {
	t.Helper()
	was := *v
	*v = to
	t.Cleanup(func() { *v = was })
}

// wantLimit checks that err is the *ParseError of a limit.
func wantLimit(t *testing.T, err error, limit string) {
	t.Helper()
	var pe *ParseError
	if !errors.As(err, &pe) || !strings.Contains(pe.Msg, limit) {
		t.Fatalf("got %v, want a parse error naming %s", err, limit)
	}
}

// opLine is a raftsim operation line of exactly n bytes (without its
// "\n"): a put whose value pads it.
func opLine(t *testing.T, n int, invoke int64) string {
	t.Helper()
	base := fmt.Sprintf(`{"client":1,"seq":1,"kind":"put","key":"k","value":"","invoke":%d,"complete":%d,"outcome":"ok"}`, invoke, invoke+1)
	if n < len(base) {
		t.Fatalf("a line of %d bytes cannot hold an operation", n)
	}
	return strings.Replace(base, `"value":""`, `"value":"`+strings.Repeat("v", n-len(base))+`"`, 1)
}

func TestHistoryLineLimit(t *testing.T) {
	withLimit(t, &maxHistoryLineBytes, 300)
	inside := header + opLine(t, 300, 1) + "\n"
	if _, err := Parse("f", strings.NewReader(inside), FormatAuto); err != nil {
		t.Fatalf("a line of exactly the limit: %v", err)
	}
	outside := header + opLine(t, 301, 1) + "\n"
	_, err := Parse("f", strings.NewReader(outside), FormatAuto)
	wantLimit(t, err, "MaxHistoryLineBytes")
	if pe := err.(*ParseError); pe.Line != 2 {
		t.Fatalf("the error names line %d, want 2", pe.Line)
	}
}

// zeros reads as /dev/zero does: zero bytes without end.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// A stream of zeros ends at the line limit, having read little.
func TestHistoryEndlessInput(t *testing.T) {
	_, err := CheckReader("zero", zeros{}, FormatRaftsim, LinearizabilityOptions{})
	wantLimit(t, err, "MaxHistoryLineBytes")
}

func TestHistorySizeLimit(t *testing.T) {
	body := header + opLine(t, 100, 1) + "\n"
	for _, tt := range []struct {
		limit int64
		fails bool
	}{{int64(len(body)), false}, {int64(len(body)) - 1, true}} {
		withLimit(t, &maxHistoryBytes, tt.limit)
		_, err := CheckReader("f", strings.NewReader(body), FormatAuto, LinearizabilityOptions{})
		if tt.fails {
			wantLimit(t, err, "MaxHistoryBytes")
		} else if err != nil {
			t.Fatalf("a stream of exactly the limit: %v", err)
		}
		// A file is refused by its size, before it is read.
		path := filepath.Join(t.TempDir(), "h.jsonl")
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err = Load(path, FormatAuto)
		if tt.fails {
			wantLimit(t, err, "MaxHistoryBytes")
		} else if err != nil {
			t.Fatalf("a file of exactly the limit: %v", err)
		}
	}
}

func TestHistoryNotRegularFile(t *testing.T) {
	for _, tt := range []struct {
		path, what string
	}{{t.TempDir(), "a directory"}, {os.DevNull, "a character device"}} {
		if _, err := Load(tt.path, FormatAuto); err == nil || !strings.Contains(err.Error(), "not a regular file ("+tt.what+")") {
			t.Errorf("%s: %v, want a refusal naming %s", tt.path, err, tt.what)
		}
		if _, err := CheckFile(tt.path, FormatAuto, LinearizabilityOptions{}); err == nil {
			t.Errorf("%s: CheckFile read it", tt.path)
		}
	}
}

func TestDetectionLimit(t *testing.T) {
	withLimit(t, &detectLines, 5)
	log := func(noise int) string {
		return strings.Repeat("noise\n", noise) + "INFO  jepsen.util - 0\t:invoke\t:read\tnil\nINFO  jepsen.util - 0\t:ok\t:read\tnil\n"
	}
	if _, err := Parse("f", strings.NewReader(log(4)), FormatAuto); err != nil {
		t.Fatalf("the logger name on the last line detection reads: %v", err)
	}
	_, err := Parse("f", strings.NewReader(log(5)), FormatAuto)
	wantLimit(t, err, "DetectLines")
	// Named, the format needs no detection.
	if _, err := Parse("f", strings.NewReader(log(5)), FormatJepsenEtcd); err != nil {
		t.Fatalf("the same log with its format named: %v", err)
	}
	withLimit(t, &detectLines, DetectLines)
	withLimit(t, &detectBytes, len("noise")*3)
	if _, err := Parse("f", strings.NewReader(log(2)), FormatAuto); err != nil {
		t.Fatalf("the logger name within the bytes detection reads: %v", err)
	}
	_, err = Parse("f", strings.NewReader(log(3)), FormatAuto)
	wantLimit(t, err, "DetectBytes")
}

func TestEDNLimits(t *testing.T) {
	// A register history: the vector (1), its maps (2), a cas value (3).
	edn := `[{:type :invoke, :f :cas, :value [1 2], :process 0}
{:type :ok, :f :cas, :value [1 2], :process 0}]`
	withLimit(t, &maxEDNDepth, 3)
	if _, err := Parse("f", strings.NewReader(edn), FormatJepsenEDN); err != nil {
		t.Fatalf("nesting at the limit: %v", err)
	}
	withLimit(t, &maxEDNDepth, 2)
	_, err := Parse("f", strings.NewReader(edn), FormatJepsenEDN)
	wantLimit(t, err, "MaxEDNDepth")
	// Brackets in strings, characters and comments do not nest.
	if err := ednDepth("f", []byte(`{:a "[[[" :b \[ :c \]} ; [[[`)); err != nil {
		t.Fatalf("brackets in strings, characters and comments: %v", err)
	}
	withLimit(t, &maxEDNDepth, MaxEDNDepth)
	withLimit(t, &maxEDNBytes, int64(len(edn)))
	if _, err := Parse("f", strings.NewReader(edn), FormatJepsenEDN); err != nil {
		t.Fatalf("a history.edn of exactly the limit: %v", err)
	}
	withLimit(t, &maxEDNBytes, int64(len(edn))-1)
	_, err = Parse("f", strings.NewReader(edn), FormatJepsenEDN)
	wantLimit(t, err, "MaxEDNBytes")
}

// An EDN nesting far past the limit is refused before the decoder, whose
// recursion it would otherwise drive.
func TestEDNDeepNesting(t *testing.T) {
	deep := strings.Repeat("[", 1_000_000) + strings.Repeat("]", 1_000_000)
	_, err := Parse("f", strings.NewReader(deep), FormatJepsenEDN)
	wantLimit(t, err, "MaxEDNDepth")
}

// The stream check puts operations back in invocation order within the
// reorder window, and says so past it.
func TestReorderWindow(t *testing.T) {
	withLimit(t, &reorderWindow, 3)
	file := func(late int) string {
		var b bytes.Buffer
		b.WriteString(header)
		for i := 1; i <= late; i++ {
			b.WriteString(opLine(t, 110, int64(10*i)) + "\n")
		}
		b.WriteString(opLine(t, 110, 5) + "\n") // invoked before all of them
		return b.String()
	}
	if _, err := CheckReader("f", strings.NewReader(file(3)), FormatRaftsim, LinearizabilityOptions{}); err != nil {
		t.Fatalf("3 operations out of order, within a window of 3: %v", err)
	}
	_, err := CheckReader("f", strings.NewReader(file(4)), FormatRaftsim, LinearizabilityOptions{})
	wantLimit(t, err, "ReorderWindow")
}

// CheckFile reads every format as a stream and gives the verdict of
// CheckLinearizable on the history Load reads.
func TestCheckFileMatchesLoad(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join(fixtures, "kv", "c[01]*.txt"))
	jepsen, _ := filepath.Glob(filepath.Join(fixtures, "jepsen", "etcd_00[0-3].log"))
	edn, _ := filepath.Glob("../testdata/jepsen/*.edn")
	paths = append(append(paths, jepsen...), edn...)
	if len(paths) < 10 {
		t.Fatalf("only %d fixtures", len(paths))
	}
	for _, p := range paths {
		h, err := Load(p, FormatAuto)
		if err != nil {
			t.Fatal(err)
		}
		want := check(t, h)
		got, err := CheckFile(p, FormatAuto, LinearizabilityOptions{Budget: testBudget})
		if err != nil {
			t.Fatal(err)
		}
		if got.Linearizability.Verdict != want.Verdict || got.Linearizability.Ops != want.Ops || got.Meta["imported_from"] != h.Meta["imported_from"] {
			t.Errorf("%s: CheckFile %v (%v), Load and check %v (%v)", p, got.Linearizability, got.Meta, want, h.Meta)
		}
	}
}
