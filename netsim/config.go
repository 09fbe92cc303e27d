package netsim

import (
	"errors"
	"fmt"
)

// ErrBadConfig is returned for a LinkConfig that fails validation; the
// wrapped error names the field.
var ErrBadConfig = errors.New("netsim: bad link config")

// CopiesMax bounds the copies one Send can produce: duplication repeats
// with the link's Duplicate ratio until it fails or this many copies exist.
const CopiesMax = 4

// LinkConfig is the behaviour of one directed link.
type LinkConfig struct {
	// Delay is the transit delay of each copy.
	Delay Delay
	// Loss is the chance a sent message vanishes.
	Loss Ratio
	// Duplicate is the chance a message gets one more copy; it is tried
	// again after each success, up to CopiesMax copies. Each copy draws its
	// own delay, so copies arrive apart and out of order.
	Duplicate Ratio
	// Reorder adds an extra delay to some copies.
	Reorder Reorder
}

// Reliable returns a configuration with the given delay and no loss,
// duplication or extra reordering: the usual starting point.
func Reliable(d Delay) LinkConfig {
	return LinkConfig{Delay: d, Loss: Never, Duplicate: Never, Reorder: NoReorder}
}

// Validate reports the first invalid field of c.
func (c LinkConfig) Validate() error {
	if err := c.Delay.Validate(); err != nil {
		return fmt.Errorf("%w: Delay: %w", ErrBadConfig, err)
	}
	if err := c.Loss.Validate(); err != nil {
		return fmt.Errorf("%w: Loss: %w", ErrBadConfig, err)
	}
	if err := c.Duplicate.Validate(); err != nil {
		return fmt.Errorf("%w: Duplicate: %w", ErrBadConfig, err)
	}
	if err := c.Reorder.Validate(); err != nil {
		return fmt.Errorf("%w: Reorder: %w", ErrBadConfig, err)
	}
	return nil
}

func (c LinkConfig) String() string {
	return fmt.Sprintf("delay %v loss %v dup %v reorder %v within %v",
		c.Delay, c.Loss, c.Duplicate, c.Reorder.Ratio, c.Reorder.Window)
}
