package sim

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/raftsim/raftsim/raft"
)

// Condition is a test of the cluster's state when a timeline entry comes
// up, "up < 3": the entry runs only if it holds. The zero Condition always
// holds.
type Condition struct {
	Quantity Quantity
	Op       CompareOp
	Value    int
}

// Quantity is something a Condition counts.
type Quantity uint8

const (
	// QuantityUp counts the nodes that are up (not crashed).
	QuantityUp Quantity = iota + 1
	// QuantityDown counts the crashed nodes.
	QuantityDown
	// QuantityIsolated counts the nodes an isolation cut off.
	QuantityIsolated
	// QuantityConnected counts the nodes no isolation cut off.
	QuantityConnected
	// QuantityLeaders counts the nodes up in the leader role.
	QuantityLeaders
	quantityLimit
)

var quantityNames = [...]string{QuantityUp: "up", QuantityDown: "down", QuantityIsolated: "isolated",
	QuantityConnected: "connected", QuantityLeaders: "leaders"}

func (q Quantity) String() string {
	if q > 0 && q < quantityLimit {
		return quantityNames[q]
	}
	return fmt.Sprintf("Quantity(%d)", uint8(q))
}

// CompareOp compares a Quantity with a value.
type CompareOp uint8

const (
	OpLess CompareOp = iota + 1
	OpLessEq
	OpGreater
	OpGreaterEq
	OpEqual
	OpNotEqual
	compareOpLimit
)

var compareOpNames = [...]string{OpLess: "<", OpLessEq: "<=", OpGreater: ">", OpGreaterEq: ">=", OpEqual: "==", OpNotEqual: "!="}

func (o CompareOp) String() string {
	if o > 0 && o < compareOpLimit {
		return compareOpNames[o]
	}
	return fmt.Sprintf("CompareOp(%d)", uint8(o))
}

// IsZero reports whether c is the condition that always holds.
func (c Condition) IsZero() bool { return c == Condition{} }

func (c Condition) String() string {
	return c.Quantity.String() + " " + c.Op.String() + " " + strconv.Itoa(c.Value)
}

// ParseCondition reads "up < 3": a quantity (up, down, isolated,
// connected, leaders), a comparison (<, <=, >, >=, ==, !=) and a number.
func ParseCondition(s string) (Condition, error) {
	fields := strings.Fields(s)
	bad := fmt.Errorf(`%q is not a condition such as "up < 3" (of up, down, isolated, connected, leaders; <, <=, >, >=, ==, !=)`, s)
	if len(fields) != 3 {
		return Condition{}, bad
	}
	var c Condition
	for q := QuantityUp; q < quantityLimit; q++ {
		if quantityNames[q] == fields[0] {
			c.Quantity = q
		}
	}
	for o := OpLess; o < compareOpLimit; o++ {
		if compareOpNames[o] == fields[1] {
			c.Op = o
		}
	}
	n, err := strconv.Atoi(fields[2])
	if c.Quantity == 0 || c.Op == 0 || err != nil || n < 0 {
		return Condition{}, bad
	}
	c.Value = n
	return c, nil
}

func (c Condition) validate() error {
	if c.IsZero() {
		return nil
	}
	if c.Quantity == 0 || c.Quantity >= quantityLimit || c.Op == 0 || c.Op >= compareOpLimit || c.Value < 0 {
		return fmt.Errorf("when: %v is not a condition", c)
	}
	return nil
}

// count returns the quantity's value now.
func (s *Simulator) count(q Quantity) int {
	n := 0
	for _, nd := range s.nodes {
		switch q {
		case QuantityUp:
			if nd.up {
				n++
			}
		case QuantityDown:
			if !nd.up {
				n++
			}
		case QuantityIsolated:
			if s.isolated[nd.pos] {
				n++
			}
		case QuantityConnected:
			if !s.isolated[nd.pos] {
				n++
			}
		case QuantityLeaders:
			if nd.up && nd.role == raft.RoleLeader {
				n++
			}
		}
	}
	return n
}

// holds evaluates c now, and returns the quantity's value.
func (s *Simulator) holds(c Condition) (bool, int) {
	if c.IsZero() {
		return true, 0
	}
	v := s.count(c.Quantity)
	switch c.Op {
	case OpLess:
		return v < c.Value, v
	case OpLessEq:
		return v <= c.Value, v
	case OpGreater:
		return v > c.Value, v
	case OpGreaterEq:
		return v >= c.Value, v
	case OpEqual:
		return v == c.Value, v
	}
	return v != c.Value, v
}
