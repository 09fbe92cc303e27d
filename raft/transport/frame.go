package transport

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// Version is the frame format version, the fifth byte of every frame. A
// peer that reads another version closes the connection.
const Version = 1

// FrameKind tells what a frame's payload holds.
type FrameKind uint8

// Kinds start at 1 so that a zero kind is caught as invalid.
const (
	// KindHello opens a connection: the dialer's cluster, its ID, the ID
	// it expects to reach, and its client address.
	KindHello FrameKind = iota + 1
	// KindWelcome accepts a hello and carries the acceptor's client address.
	KindWelcome
	// KindRefuse rejects a hello; the payload is the reason, in text.
	KindRefuse
	// KindMessages carries a batch of raft messages.
	KindMessages
	kindLimit
)

func (k FrameKind) String() string {
	switch k {
	case KindHello:
		return "hello"
	case KindWelcome:
		return "welcome"
	case KindRefuse:
		return "refuse"
	case KindMessages:
		return "messages"
	}
	return fmt.Sprintf("FrameKind(%d)", uint8(k))
}

// HeaderBytes is the size of a frame header:
//
//	length  uint32  payload bytes, little endian
//	version uint8   Version
//	kind    uint8   FrameKind
//	crc     uint32  CRC-32C of version, kind and payload, little endian
const HeaderBytes = 10

// DefaultMaxPayloadBytes bounds a frame's payload unless configured
// otherwise. Raft's own MaxBytesPerMsg (1 MiB by default) keeps batches
// far below it.
const DefaultMaxPayloadBytes = 16 << 20

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrFrame is wrapped by every error about bytes that are not a valid
// frame or payload. A connection that reads one is closed: the stream can
// no longer be trusted to be in step.
var ErrFrame = errors.New("transport: bad frame")

// AppendFrame appends a frame of kind with payload to dst.
func AppendFrame(dst []byte, kind FrameKind, payload []byte) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(payload)))
	dst = append(dst, Version, byte(kind))
	crc := crc32.Update(0, castagnoli, []byte{Version, byte(kind)})
	crc = crc32.Update(crc, castagnoli, payload)
	dst = binary.LittleEndian.AppendUint32(dst, crc)
	return append(dst, payload...)
}

// beginFrame reserves a header in dst for a payload appended after it;
// endFrame fills the header in. Together they encode without copying the
// payload.
func beginFrame(dst []byte) (out []byte, start int) {
	start = len(dst)
	return append(dst, make([]byte, HeaderBytes)...), start
}

func endFrame(buf []byte, start int, kind FrameKind) {
	payload := buf[start+HeaderBytes:]
	h := buf[start : start+HeaderBytes]
	binary.LittleEndian.PutUint32(h[0:4], uint32(len(payload)))
	h[4] = Version
	h[5] = byte(kind)
	crc := crc32.Update(0, castagnoli, h[4:6])
	crc = crc32.Update(crc, castagnoli, payload)
	binary.LittleEndian.PutUint32(h[6:10], crc)
}

// Frame is one decoded frame. Raw is the whole frame, header included, so
// a proxy can pass it on unchanged; Payload aliases it.
type Frame struct {
	Kind    FrameKind
	Payload []byte
	Raw     []byte
}

// ReadFrame reads one frame from r. It checks the header before it
// allocates: a payload longer than maxPayloadBytes is refused without
// reading it, so a hostile or corrupt length costs nothing. Each frame
// gets a fresh buffer, so decoded messages may keep slices of it.
// It returns io.EOF only at a clean frame boundary.
func ReadFrame(r io.Reader, maxPayloadBytes int) (Frame, error) {
	var h [HeaderBytes]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return Frame{}, fmt.Errorf("%w: header cut short: %v", ErrFrame, err)
		}
		return Frame{}, err
	}
	n := binary.LittleEndian.Uint32(h[0:4])
	if h[4] != Version {
		return Frame{}, fmt.Errorf("%w: version %d, this node speaks %d", ErrFrame, h[4], Version)
	}
	kind := FrameKind(h[5])
	if kind == 0 || kind >= kindLimit {
		return Frame{}, fmt.Errorf("%w: unknown kind %d", ErrFrame, h[5])
	}
	if uint64(n) > uint64(maxPayloadBytes) {
		return Frame{}, fmt.Errorf("%w: payload of %d bytes exceeds the limit of %d", ErrFrame, n, maxPayloadBytes)
	}
	raw := make([]byte, HeaderBytes+int(n))
	copy(raw, h[:])
	if _, err := io.ReadFull(r, raw[HeaderBytes:]); err != nil {
		return Frame{}, fmt.Errorf("%w: payload cut short: %v", ErrFrame, err)
	}
	crc := crc32.Update(0, castagnoli, h[4:6])
	crc = crc32.Update(crc, castagnoli, raw[HeaderBytes:])
	if want := binary.LittleEndian.Uint32(h[6:10]); crc != want {
		return Frame{}, fmt.Errorf("%w: checksum %08x, header says %08x", ErrFrame, crc, want)
	}
	return Frame{Kind: kind, Payload: raw[HeaderBytes:], Raw: raw}, nil
}
