package acquirer

import (
	"fmt"
	"time"

	"countertop/internal/txtype"
)

// FaultKind is a misbehaviour the simulator can show on demand.
type FaultKind int

// Faults. Except where said, the host processes the request as usual first (an
// approved sale is in the ledger): these are failures of the answer, the cases in
// which the terminal cannot know the outcome and must reverse.
const (
	// FaultDelay holds the reply for Fault.Delay before sending it (set it past the
	// terminal's response timeout).
	FaultDelay FaultKind = iota + 1
	// FaultDrop reads and processes the request, then closes the connection without
	// replying.
	FaultDrop
	// FaultGarble sends a reply frame whose body cannot be unpacked (the bitmap and
	// everything after the MTI are inverted).
	FaultGarble
	// FaultTruncate announces the whole reply in the length prefix, sends only half
	// of it and closes the connection.
	FaultTruncate
	// FaultBadMAC sends the reply with a wrong MAC (field 64 altered).
	FaultBadMAC
	// FaultDuplicate sends the reply twice.
	FaultDuplicate
	// FaultStale first sends a well-formed, correctly MACed reply to an earlier
	// request of the terminal (STAN one less), as a late reply would arrive, then the
	// real reply.
	FaultStale
)

var faultNames = [...]string{"", "delay", "drop", "garble", "truncate", "bad-mac", "duplicate", "stale"}

func (k FaultKind) String() string {
	if k <= 0 || int(k) >= len(faultNames) {
		return fmt.Sprintf("fault(%d)", int(k))
	}
	return faultNames[k]
}

// ParseFaultKind finds a fault kind by its String name.
func ParseFaultKind(s string) (FaultKind, error) {
	for i, n := range faultNames {
		if i > 0 && n == s {
			return FaultKind(i), nil
		}
	}
	return 0, fmt.Errorf("unknown fault %q", s)
}

// Fault is one injected misbehaviour and the requests it applies to.
type Fault struct {
	Kind       FaultKind
	Type       txtype.Type   // only requests of this type; txtype.Unknown: any request
	TerminalID string        // only this terminal; "": any terminal
	Times      int           // number of matching requests it applies to; 0 means 1
	Delay      time.Duration // FaultDelay: how long the reply is held
}

func (f Fault) matches(t txtype.Type, tid string) bool {
	return (f.Type == txtype.Unknown || f.Type == t) && (f.TerminalID == "" || f.TerminalID == tid)
}

// InjectFault queues f: it applies to the next f.Times requests that match it. Faults
// are tried in the order injected; one request gets at most one fault.
func (s *Server) InjectFault(f Fault) {
	if f.Times <= 0 {
		f.Times = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f)
}

// PendingFaults returns the injected faults not yet used up, with the uses left in
// Times. A test that injected faults can check at its end that all were used.
func (s *Server) PendingFaults() []Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Fault(nil), s.faults...)
}

// takeFault removes one use of the first fault matching the request. Called with
// s.mu held.
func (s *Server) takeFault(t txtype.Type, tid string) (Fault, bool) {
	for i := range s.faults {
		if !s.faults[i].matches(t, tid) {
			continue
		}
		f := s.faults[i]
		s.faults[i].Times--
		if s.faults[i].Times == 0 {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
		}
		return f, true
	}
	return Fault{}, false
}
