package netsim

import (
	"errors"
	"fmt"
	"time"
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
	// Bandwidth is the link's capacity in bytes per second; zero means
	// unlimited. A message of b bytes (SendSized) occupies the link for
	// b/Bandwidth, after the messages sent before it: a big snapshot
	// chunk takes real time, and so does everything queued behind it.
	Bandwidth uint64
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
	if c.Bandwidth != 0 && c.Bandwidth < BandwidthMin {
		return fmt.Errorf("%w: Bandwidth: %d bytes/s is below the least, %d", ErrBadConfig, c.Bandwidth, BandwidthMin)
	}
	return nil
}

// BandwidthMin is the least bandwidth a link may have, so that a
// transmission time (bytes * 1e9 / bandwidth, in nanoseconds) never
// overflows and a typo cannot stall a link for days.
const BandwidthMin = 1024

// BacklogMax bounds how long a message may wait for a busy link: one that
// would wait longer is dropped at send and counted in DroppedBacklog, as a
// router's full buffer drops it.
const BacklogMax = 10 * time.Second

func (c LinkConfig) String() string {
	s := fmt.Sprintf("delay %v loss %v dup %v reorder %v within %v",
		c.Delay, c.Loss, c.Duplicate, c.Reorder.Ratio, c.Reorder.Window)
	if c.Bandwidth != 0 {
		s += fmt.Sprintf(" bandwidth %dB/s", c.Bandwidth)
	}
	return s
}

// transmitTime is how long size bytes occupy a link of bandwidth bytes
// per second (bandwidth >= BandwidthMin, size < 2^53).
func transmitTime(size, bandwidth uint64) time.Duration {
	return time.Duration(size * uint64(time.Second) / bandwidth)
}
