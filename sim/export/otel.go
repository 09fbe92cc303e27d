package export

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/raftsim/raftsim/checker"
	"github.com/raftsim/raftsim/sim"
)

// The OTLP JSON encoding (opentelemetry-proto's JSON mapping of
// ExportTraceServiceRequest): resourceSpans, each with a resource and
// scopeSpans holding spans. IDs are hex, times decimal strings of
// nanoseconds; here the run's virtual time, counted from the Unix epoch.

type otelValue struct {
	StringValue *string `json:"stringValue,omitempty"`
	IntValue    *string `json:"intValue,omitempty"`
	BoolValue   *bool   `json:"boolValue,omitempty"`
}

type otelAttr struct {
	Key   string    `json:"key"`
	Value otelValue `json:"value"`
}

func strAttr(k, v string) otelAttr { return otelAttr{Key: k, Value: otelValue{StringValue: &v}} }

func intAttr(k string, v uint64) otelAttr {
	s := strconv.FormatUint(v, 10)
	return otelAttr{Key: k, Value: otelValue{IntValue: &s}}
}

type otelStatus struct {
	Code    int    `json:"code"`
	Message string `json:"message,omitempty"`
}

type otelSpan struct {
	TraceID           string     `json:"traceId"`
	SpanID            string     `json:"spanId"`
	ParentSpanID      string     `json:"parentSpanId,omitempty"`
	Name              string     `json:"name"`
	Kind              int        `json:"kind"`
	StartTimeUnixNano string     `json:"startTimeUnixNano"`
	EndTimeUnixNano   string     `json:"endTimeUnixNano"`
	Attributes        []otelAttr `json:"attributes,omitempty"`
	Status            otelStatus `json:"status"`
}

type otelScopeSpans struct {
	Scope struct {
		Name string `json:"name"`
	} `json:"scope"`
	Spans []otelSpan `json:"spans"`
}

type otelResourceSpans struct {
	Resource struct {
		Attributes []otelAttr `json:"attributes"`
	} `json:"resource"`
	ScopeSpans []otelScopeSpans `json:"scopeSpans"`
}

type otelFile struct {
	ResourceSpans []otelResourceSpans `json:"resourceSpans"`
}

// Span kinds and status codes of the OTLP protocol.
const (
	otelKindInternal = 1
	otelKindClient   = 3
	otelKindProducer = 4
	otelStatusUnset  = 0
	otelStatusOK     = 1
	otelStatusError  = 2
)

func nanos(ns int64) string { return strconv.FormatInt(max(ns, 0), 10) }

// WriteOTLP writes the run as OTLP JSON spans: one resource per node (its
// roles, and the messages it sent as producer spans from send to fate,
// children of the role held when sent), and one for the clients (each
// operation a client span). The trace ID is the first half of the run's
// trace digest.
func WriteOTLP(w io.Writer, res *sim.Result, rec *Recorder, meta Meta) error {
	traceID := "00000000000000000000000000000001"
	if d, err := hex.DecodeString(res.TraceDigest); err == nil && len(d) >= 16 {
		traceID = hex.EncodeToString(d[:16])
	}
	var next uint64
	newID := func() string {
		next++
		return fmt.Sprintf("%016x", next)
	}
	resource := func(attrs ...otelAttr) otelResourceSpans {
		var r otelResourceSpans
		r.Resource.Attributes = append([]otelAttr{strAttr("service.name", "raftsim"), strAttr("raftsim.scenario", meta.Scenario),
			intAttr("raftsim.seed", res.Seed)}, attrs...)
		r.ScopeSpans = []otelScopeSpans{{}}
		r.ScopeSpans[0].Scope.Name = "github.com/raftsim/raftsim/sim"
		return r
	}
	var file otelFile
	byNode := map[uint64]int{}
	// roleSpan finds a node's role span holding time t, for parenting.
	type held struct {
		start, end int64
		id         string
	}
	roles := map[uint64][]held{}
	for _, iv := range roleIntervals(res) {
		n := uint64(iv.Node)
		if _, ok := byNode[n]; !ok {
			byNode[n] = len(file.ResourceSpans)
			file.ResourceSpans = append(file.ResourceSpans, resource(strAttr("service.instance.id", fmt.Sprintf("node-%d", n))))
		}
		id := newID()
		roles[n] = append(roles[n], held{int64(iv.Time), iv.end, id})
		sp := &file.ResourceSpans[byNode[n]].ScopeSpans[0]
		sp.Spans = append(sp.Spans, otelSpan{TraceID: traceID, SpanID: id, Name: roleName(iv.RoleChange), Kind: otelKindInternal,
			StartTimeUnixNano: nanos(int64(iv.Time)), EndTimeUnixNano: nanos(iv.end),
			Attributes: []otelAttr{strAttr("raft.role", roleName(iv.RoleChange)), intAttr("raft.term", uint64(iv.Term))}})
	}
	if rec != nil {
		for _, c := range rec.copies {
			ri, ok := byNode[c.From]
			if !ok {
				continue
			}
			parent := ""
			for _, h := range roles[c.From] {
				if h.start <= c.Sent && c.Sent <= h.end {
					parent = h.id
				}
			}
			status := otelStatus{Code: otelStatusOK}
			attrs := []otelAttr{strAttr("raft.message", c.Msg), intAttr("raft.message.id", c.ID), intAttr("raft.to", c.To), intAttr("raft.term", c.Term)}
			if c.Outcome == "drop" {
				status = otelStatus{Code: otelStatusError, Message: "dropped: " + c.Reason}
			}
			sp := &file.ResourceSpans[ri].ScopeSpans[0]
			sp.Spans = append(sp.Spans, otelSpan{TraceID: traceID, SpanID: newID(), ParentSpanID: parent, Name: c.Msg + " " + c.Outcome,
				Kind: otelKindProducer, StartTimeUnixNano: nanos(c.Sent), EndTimeUnixNano: nanos(c.Fate), Attributes: attrs, Status: status})
		}
	}
	clients := resource(strAttr("service.instance.id", "clients"))
	open := len(res.History) - res.OpenAtEnd
	for i, op := range res.History {
		outcome := op.Outcome.String()
		status := otelStatus{Code: otelStatusOK}
		switch {
		case i >= open:
			outcome, status = "open at the end", otelStatus{Code: otelStatusUnset}
		case op.Outcome == checker.OutcomeFail:
			status = otelStatus{Code: otelStatusError, Message: "failed"}
		case op.Outcome == checker.OutcomeUnknown:
			status = otelStatus{Code: otelStatusUnset, Message: "outcome unknown"}
		}
		clients.ScopeSpans[0].Spans = append(clients.ScopeSpans[0].Spans, otelSpan{TraceID: traceID, SpanID: newID(),
			Name: op.Kind.String() + " " + op.Key, Kind: otelKindClient, StartTimeUnixNano: nanos(op.Invoke), EndTimeUnixNano: nanos(op.Complete),
			Attributes: []otelAttr{intAttr("raftsim.client", op.ClientID), strAttr("raftsim.outcome", outcome), strAttr("kv.key", op.Key)},
			Status:     status})
	}
	file.ResourceSpans = append(file.ResourceSpans, clients)
	return json.NewEncoder(w).Encode(file)
}
