package checker

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// everyShape has one operation of each kind and outcome, and strings that
// need escaping.
func everyShape() History {
	return History{
		Meta: map[string]string{"seed": "42", "scenario": "partition \"heal\"\n"},
		Ops: []Operation{
			okPut(1, "k", "v", 0, 10),
			okAppend(2, "k", "tab\there", 5, 15),
			okGet(3, "k", "v", 6, 16),
			okGetMissing(3, "missing", 20, 30),
			okGet(4, "k", "", 21, 31),
			{ClientID: 4, Kind: OpGet, Key: "k", Invoke: 40, Complete: 41, Outcome: OutcomeOK, FoundUnknown: true, Output: "x"},
			okDelete(5, "k", 50, 60),
			okCAS(6, "k", "a", "b", true, 70, 80),
			okCAS(6, "k", "a", "b", false, 90, 95),
			unknown(okPut(7, "ünï\u2028<&>", "\x01", 100, 200)),
			failed(okCAS(8, "k", "x", "y", false, -5, 300)),
			unknown(okGet(9, "k", "", 1, 1)),
			failed(okDelete(10, "k", 400, 400)),
		},
	}
}

func writeString(t *testing.T, h History) string {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteHistory(&buf, h); err != nil {
		t.Fatalf("WriteHistory: %v", err)
	}
	return buf.String()
}

func TestHistoryRoundTrip(t *testing.T) {
	h := everyShape()
	h.Ops = numbered(h.Ops...).Ops
	text := writeString(t, h)
	got, err := Parse("h.jsonl", strings.NewReader(text), FormatAuto)
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, text)
	}
	if !reflect.DeepEqual(got, h) {
		t.Fatalf("round trip changed the history:\n got %+v\nwant %+v", got, h)
	}
	if again := writeString(t, got); again != text {
		t.Fatalf("second write differs:\n%s\n%s", text, again)
	}
}

// TestHistoryFormatIsCanonical pins the written form, since files outlive
// the code that wrote them.
func TestHistoryFormatIsCanonical(t *testing.T) {
	h := History{Ops: []Operation{
		okCAS(3, "x", "a", "b", true, 400, 900),
		{ClientID: 2, Seq: 1, Kind: OpGet, Key: "x", Invoke: 120, Complete: 300, Outcome: OutcomeOK, Found: true, Output: "a"},
	}}
	want := `{"format":"raftsim-history","version":1}
{"client":3,"seq":0,"kind":"cas","key":"x","expected":"a","value":"b","invoke":400,"complete":900,"outcome":"ok","swapped":true}
{"client":2,"seq":1,"kind":"get","key":"x","invoke":120,"complete":300,"outcome":"ok","found":true,"output":"a"}
`
	if got := writeString(t, h); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

func TestHistoryRoundTripProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var h History
		for i := range rapid.IntRange(0, 8).Draw(t, "n") {
			op := drawSmallOperation(t, "op"+string(rune('0'+i)))
			op.Key = rapid.String().Draw(t, "key")
			op.Invoke = rapid.Int64().Draw(t, "invoke")
			op.Complete = op.Invoke + rapid.Int64Min(0).Draw(t, "duration")
			if op.Complete < op.Invoke {
				op.Complete = op.Invoke // the sum overflowed
			}
			op.Seq = rapid.Uint64().Draw(t, "seq")
			h.Ops = append(h.Ops, op)
		}
		var buf bytes.Buffer
		if err := WriteHistory(&buf, h); err != nil {
			t.Fatalf("WriteHistory: %v", err)
		}
		got, err := Parse("h", &buf, FormatRaftsim)
		if err != nil {
			t.Fatalf("Parse: %v", err)
		}
		if !reflect.DeepEqual(got.Ops, h.Ops) {
			t.Fatalf("round trip changed the operations:\n got %+v\nwant %+v", got.Ops, h.Ops)
		}
	})
}

func TestWriteHistoryRejectsInvalid(t *testing.T) {
	for _, op := range []Operation{
		{ClientID: 1, Kind: OpPut, Key: "k", Outcome: OutcomeOK, Swapped: true},
		{ClientID: 1, Kind: OpGet, Key: "k", Outcome: OutcomeOK, Output: "not found but read"},
		{ClientID: 1, Kind: OpDelete, Key: "k", Value: "v", Outcome: OutcomeOK},
		{ClientID: 1, Kind: OpPut, Key: "\xff", Outcome: OutcomeOK},
		{ClientID: 1, Kind: 0, Key: "k", Outcome: OutcomeOK},
	} {
		var buf bytes.Buffer
		if err := WriteHistory(&buf, History{Ops: []Operation{op}}); !errors.Is(err, ErrInvalidHistory) {
			t.Errorf("%+v: got %v, want ErrInvalidHistory", op, err)
		}
	}
}

const header = `{"format":"raftsim-history","version":1}` + "\n"

// TestParseRaftsimErrors checks that each kind of bad input is reported at
// its line and field.
func TestParseRaftsimErrors(t *testing.T) {
	okLine := `{"client":1,"seq":1,"kind":"put","key":"k","value":"v","invoke":1,"complete":2,"outcome":"ok"}` + "\n"
	tests := []struct {
		name, text string
		line       int
		field, msg string
	}{
		{"no header", okLine, 1, "format", "first line must be the header"},
		{"empty", "", 0, "format", "missing header"},
		{"wrong format", `{"format":"other","version":1}`, 1, "format", "raftsim-history"},
		{"future version", `{"format":"raftsim-history","version":2}`, 1, "version", "unsupported"},
		{"header lacks version", `{"format":"raftsim-history"}`, 1, "version", "missing"},
		{"meta not strings", `{"format":"raftsim-history","version":1,"meta":{"a":1}}`, 1, "meta", "want a string"},
		{"unknown field", header + okLine + `{"client":1,"seq":2,"kind":"put","key":"k","value":"v","invoke":1,"complete":2,"outcome":"ok","color":"red"}`, 3, "color", "unknown field"},
		{"bad kind", header + `{"client":1,"seq":1,"kind":"upsert","key":"k","invoke":1,"complete":2,"outcome":"ok"}`, 2, "kind", "upsert"},
		{"bad outcome", header + `{"client":1,"seq":1,"kind":"get","key":"k","invoke":1,"complete":2,"outcome":"maybe"}`, 2, "outcome", "maybe"},
		{"complete before invoke", header + "\n" + `{"client":1,"seq":1,"kind":"delete","key":"k","invoke":5,"complete":2,"outcome":"ok"}`, 3, "complete", "before invoke"},
		{"missing key", header + `{"client":1,"seq":1,"kind":"delete","invoke":1,"complete":2,"outcome":"ok"}`, 2, "key", "missing"},
		{"missing value", header + `{"client":1,"seq":1,"kind":"put","key":"k","invoke":1,"complete":2,"outcome":"ok"}`, 2, "value", "missing"},
		{"missing kind", header + `{"client":1,"seq":1,"key":"k","invoke":1,"complete":2,"outcome":"ok"}`, 2, "kind", "missing"},
		{"missing result", header + `{"client":1,"seq":1,"kind":"get","key":"k","invoke":1,"complete":2,"outcome":"ok","output":""}`, 2, "found", "missing"},
		{"result on unknown", header + `{"client":1,"seq":1,"kind":"cas","key":"k","expected":"a","value":"b","invoke":1,"complete":2,"outcome":"unknown","swapped":true}`, 2, "swapped", "not allowed"},
		{"value on get", header + `{"client":1,"seq":1,"kind":"get","key":"k","value":"v","invoke":1,"complete":2,"outcome":"fail"}`, 2, "value", "not allowed"},
		{"found_unknown false", header + `{"client":1,"seq":1,"kind":"get","key":"k","invoke":1,"complete":2,"outcome":"ok","found_unknown":false,"output":""}`, 2, "found_unknown", "want true"},
		{"output without found", header + `{"client":1,"seq":1,"kind":"get","key":"k","invoke":1,"complete":2,"outcome":"ok","found":false,"output":"v"}`, 2, "output", "not found"},
		{"duplicate field", header + `{"client":1,"client":2,"seq":1,"kind":"delete","key":"k","invoke":1,"complete":2,"outcome":"ok"}`, 2, "client", "duplicate"},
		{"negative client", header + `{"client":-1,"seq":1,"kind":"delete","key":"k","invoke":1,"complete":2,"outcome":"ok"}`, 2, "client", "unsigned"},
		{"fractional time", header + `{"client":1,"seq":1,"kind":"delete","key":"k","invoke":1.5,"complete":2,"outcome":"ok"}`, 2, "invoke", "integer"},
		{"string time", header + `{"client":1,"seq":1,"kind":"delete","key":"k","invoke":"1","complete":2,"outcome":"ok"}`, 2, "invoke", "integer"},
		{"null key", header + `{"client":1,"seq":1,"kind":"delete","key":null,"invoke":1,"complete":2,"outcome":"ok"}`, 2, "key", "null"},
		{"array value", header + `{"client":1,"seq":1,"kind":"put","key":"k","value":["v"],"invoke":1,"complete":2,"outcome":"ok"}`, 2, "value", "arrays"},
		{"trailing data", header + okLine[:len(okLine)-1] + ` {}`, 2, "", "trailing"},
		{"truncated line", header + okLine[:40], 2, "key", "invalid JSON"},
		{"not an object", header + `[1,2]`, 2, "", "invalid JSON"},
		{"invalid UTF-8", header + "{\"client\":1,\"key\":\"\xff\"}", 2, "", "UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("run.jsonl", strings.NewReader(tt.text), FormatRaftsim)
			assertParseError(t, err, "run.jsonl", tt.line, tt.field, tt.msg)
		})
	}
}

func assertParseError(t *testing.T, err error, file string, line int, field, msg string) {
	t.Helper()
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("got %v, want a *ParseError", err)
	}
	if pe.File != file || pe.Line != line || pe.Field != field || !strings.Contains(pe.Msg, msg) {
		t.Fatalf("got %q (file %q line %d field %q), want file %q line %d field %q and a message containing %q",
			pe.Error(), pe.File, pe.Line, pe.Field, file, line, field, msg)
	}
}

func TestParseErrorMessage(t *testing.T) {
	for _, tt := range []struct {
		err  ParseError
		want string
	}{
		{ParseError{File: "a.log", Line: 3, Field: "value", Msg: "missing"}, "a.log:3: value: missing"},
		{ParseError{File: "a.log", Line: 3, Msg: "bad"}, "a.log:3: bad"},
		{ParseError{File: "a.log", Msg: "empty history file"}, "a.log: empty history file"},
	} {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}
