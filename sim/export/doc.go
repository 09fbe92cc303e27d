// Package export writes a simulated run in formats that standard trace
// viewers open: the Chrome trace-event JSON format, which Perfetto
// (ui.perfetto.dev) and chrome://tracing load, and OpenTelemetry's OTLP
// JSON encoding of spans.
//
// The Chrome file has one process per kind of track:
//
//   - "raft nodes": one thread per node; its role (follower, pre-candidate,
//     candidate, leader with its term, crashed) as consecutive spans, and
//     inside them a zero-length slice for each message the node sent or
//     received, joined by a flow arrow (send to delivery, or to the drop,
//     whose slice says why it was dropped);
//   - "clients": one thread per client; each operation a span from its
//     invocation to its completion, named after the call, with its outcome
//     (operations still open at the end are marked so);
//   - "faults": fault windows as spans, and every fault's start and end,
//     each leader election and each failure as a global instant event.
//
// Times are the run's virtual time, in microseconds as the format wants.
//
// Invariants:
//
//   - The export reads the run, never changes it: a Recorder is an
//     io.Writer for sim.Config.Trace that parses the canonical trace's JSON
//     lines as they are written, keeping only message events.
//   - Bounded: a Recorder keeps at most MessagesMax message copies; the
//     rest are counted, and the files say how many were left out.
//   - Deterministic: the same run gives byte-identical files.
//
// Usage:
//
//	rec := export.NewRecorder()
//	cfg.Trace = rec // or io.MultiWriter(file, rec)
//	res, _ := sim.Run(cfg)
//	err := export.WriteChrome(w, res, rec, export.Meta{Scenario: "demo"})
package export
