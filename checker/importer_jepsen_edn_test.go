package checker

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseJepsenEDNRegister(t *testing.T) {
	h, err := Load("../testdata/jepsen/register-stale-read.edn", FormatAuto)
	if err != nil {
		t.Fatal(err)
	}
	if got := h.Meta["imported_from"]; got != "jepsen-edn" {
		t.Fatalf("detected as %q", got)
	}
	const r = "register"
	want := []Operation{
		{ClientID: 0, Seq: 1, Kind: OpPut, Key: r, Value: "1", Invoke: 1, Complete: 2, Outcome: OutcomeOK},
		{ClientID: 0, Seq: 2, Kind: OpPut, Key: r, Value: "2", Invoke: 3, Complete: 5, Outcome: OutcomeOK},
		{ClientID: 1, Seq: 1, Kind: OpGet, Key: r, Invoke: 6, Complete: 7, Outcome: OutcomeOK, Found: true, Output: "1"},
		{ClientID: 2, Seq: 1, Kind: OpCAS, Key: r, Expected: "2", Value: "3", Invoke: 8, Complete: 9, Outcome: OutcomeFail},
		{ClientID: 3, Seq: 1, Kind: OpGet, Key: r, Invoke: 10, Complete: 11, Outcome: OutcomeUnknown},
	}
	if !reflect.DeepEqual(h.Ops, want) {
		t.Fatalf("got\n%+v\nwant\n%+v", h.Ops, want)
	}
	res := check(t, h)
	if res.Verdict != VerdictIllegal || res.Key != r {
		t.Fatalf("got %v, want illegal on %q: the read of 1 follows the completed write of 2", res, r)
	}
}

func TestParseJepsenEDNKeyValue(t *testing.T) {
	h, err := Load("../testdata/jepsen/kv-ok.edn", FormatAuto)
	if err != nil {
		t.Fatal(err)
	}
	want := []Operation{
		{ClientID: 0, Seq: 1, Kind: OpPut, Key: "1", Value: "5", Invoke: 1, Complete: 3, Outcome: OutcomeOK},
		{ClientID: 1, Seq: 1, Kind: OpGet, Key: "2", Invoke: 2, Complete: 4, Outcome: OutcomeOK},
		{ClientID: 0, Seq: 2, Kind: OpCAS, Key: "1", Expected: "5", Value: "6", Invoke: 5, Complete: 7, Outcome: OutcomeOK, Swapped: true},
		{ClientID: 1, Seq: 2, Kind: OpGet, Key: "1", Invoke: 6, Complete: 8, Outcome: OutcomeOK, Found: true, Output: "6"},
		{ClientID: 2, Seq: 1, Kind: OpPut, Key: "2", Value: "x", Invoke: 9, Complete: 10, Outcome: OutcomeFail},
		// Open at the end of the 11 events: unknown.
		{ClientID: 3, Seq: 1, Kind: OpGet, Key: "2", Invoke: 11, Complete: 12, Outcome: OutcomeUnknown},
	}
	if !reflect.DeepEqual(h.Ops, want) {
		t.Fatalf("got\n%+v\nwant\n%+v", h.Ops, want)
	}
	if res := check(t, h); res.Verdict != VerdictOK {
		t.Fatalf("got %v, want ok", res)
	}
	// One value changed: the first read of key 2 returns 7, which no
	// one ever wrote.
	data, _ := os.ReadFile("../testdata/jepsen/kv-ok.edn")
	bad := strings.Replace(string(data), ":type :ok, :process 1, :f :read, :value [2 nil]", ":type :ok, :process 1, :f :read, :value [2 7]", 1)
	h, err = Parse("kv-bad.edn", strings.NewReader(bad), FormatAuto)
	if err != nil {
		t.Fatal(err)
	}
	if res := check(t, h); res.Verdict != VerdictIllegal || res.Key != "2" {
		t.Fatalf("got %v, want illegal on key 2", res)
	}
}

// TestJepsenEDNMatchesLogs rewrites each of Jepsen's etcd logs as a
// history.edn and checks that both formats give the same operations and
// the verdict expected.txt records.
func TestJepsenEDNMatchesLogs(t *testing.T) {
	dir := filepath.Join(fixtures, "jepsen")
	f, err := os.Open(filepath.Join(dir, "expected.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for sc := bufio.NewScanner(f); sc.Scan(); {
		num, verdict, _ := strings.Cut(sc.Text(), " ")
		path := filepath.Join(dir, "etcd_"+num+".log")
		fromLog, err := Load(path, FormatJepsenEtcd)
		if err != nil {
			t.Fatal(err)
		}
		text, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		fromEDN, err := Parse(path+".edn", strings.NewReader(logToEDN(string(text))), FormatAuto)
		if err != nil {
			t.Fatal(err)
		}
		if len(fromEDN.Ops) != len(fromLog.Ops) {
			t.Fatalf("%s: %d operations from EDN, %d from the log", path, len(fromEDN.Ops), len(fromLog.Ops))
		}
		for i := range fromLog.Ops {
			a, b := fromLog.Ops[i], fromEDN.Ops[i]
			a.Invoke, a.Complete, b.Invoke, b.Complete = 0, 0, 0, 0
			if a != b {
				t.Fatalf("%s: operation %d: log %+v, EDN %+v", path, i, a, b)
			}
		}
		want := VerdictIllegal
		if verdict == "true" {
			want = VerdictOK
		}
		if res := check(t, fromEDN); res.Verdict != want {
			t.Errorf("%s as EDN: %v, want %v", path, res, want)
		}
	}
}

// logToEDN turns the jepsen.util lines of a log into history.edn maps.
func logToEDN(log string) string {
	var b strings.Builder
	for _, l := range strings.Split(log, "\n") {
		_, op, ok := strings.Cut(l, jepsenMarker)
		fs := strings.Fields(op)
		if !ok || len(fs) < 3 || (fs[0][0] != ':' && !isDigits(fs[0])) {
			continue
		}
		value := "nil"
		if len(fs) > 3 {
			value = strings.Join(fs[3:], " ")
		}
		fmt.Fprintf(&b, "{:type %s, :f %s, :value %s, :process %s}\n", fs[1], fs[2], value, fs[0])
	}
	return b.String()
}

func TestParseJepsenEDNErrors(t *testing.T) {
	inv := `{:type :invoke, :f :write, :value 3, :process 0}` + "\n"
	tests := []struct {
		name, text string
		line       int
		field, msg string
	}{
		{"malformed EDN", inv + `{:type :ok, :f :write, :value 3 :process}`, 2, "", "EDN"},
		{"unclosed vector", "[" + inv, 1, "", "not closed"},
		{"not a map", inv + "\n[1 2]", 3, "", "want an event map"},
		{"keyword process", `{:type :invoke, :f :read, :value nil, :process :client}`, 1, "process", ":client"},
		{"missing process", `{:type :invoke, :f :read, :value nil}`, 1, "process", "nil"},
		{"bad type", `{:type :begin, :f :read, :value nil, :process 0}`, 1, "type", ":begin"},
		{"list-append txn", `{:type :invoke, :f :txn, :value [[:append 1 2]], :process 0}`, 1, "f", ":txn"},
		{"write without value", `{:type :invoke, :f :write, :process 0}`, 1, "value", "missing"},
		{"write of a vector", `{:type :invoke, :f :write, :value [1 2 3], :process 0}`, 1, "value", "[1 2 3]"},
		{"read invoked with a value", `{:type :invoke, :f :read, :value 3, :process 0}`, 1, "value", "nil"},
		{"cas of one element", `{:type :invoke, :f :cas, :value [3], :process 0}`, 1, "value", "[old new]"},
		{"ok of another value", inv + `{:type :ok, :f :write, :value 4, :process 0}`, 2, "value", "differ"},
		{"ok of another key", `{:type :invoke, :f :write, :value [1 3], :process 0}` + "\n" + `{:type :ok, :f :write, :value [2 3], :process 0}`, 2, "key", "invoked key"},
		{"completion without invocation", "\n\n" + `{:type :ok, :f :write, :value 3, :process 0}`, 3, "type", "never invoked"},
		{"only nemesis", `{:type :info, :f :start, :value nil, :process :nemesis}`, 0, "", "no client operations"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("history.edn", strings.NewReader(tt.text), FormatJepsenEDN)
			assertParseError(t, err, "history.edn", tt.line, tt.field, tt.msg)
		})
	}
}
