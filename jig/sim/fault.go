package sim

import (
	"fmt"
	"strings"
)

// Fault is a misbehaviour the board can be told to show, so the reading
// side can be tested against every way a real controller board fails.
type Fault int

// The faults. The zero value is FaultNone.
const (
	FaultNone     Fault = iota // answer correctly
	FaultSilent                // read commands, never answer
	FaultGarbage               // answer with random non-printable bytes, no newline
	FaultError                 // answer every command with ERR -100,"Command error"
	FaultPartial               // answer with the first half of the line, no terminator
	FaultLongLine              // answer with 100 KiB of printable bytes and no newline
	FaultLate                  // answer Config.Late after the command (after the reader's timeout)
	FaultEcho                  // echo the command line, then answer
	FaultBanner                // print a boot banner and a blank line, then answer (a reset)
	FaultTrickle               // answer correctly, one byte at a time
	FaultDouble                // answer, then the same answer again Config.Late later
	FaultReset                 // answer half the line, then Config.Late later the boot banner, no answer
	FaultMix                   // each hit command gets one of the faults above, at random
)

var faultNames = [...]string{
	FaultNone:     "none",
	FaultSilent:   "silent",
	FaultGarbage:  "garbage",
	FaultError:    "error",
	FaultPartial:  "partial",
	FaultLongLine: "longline",
	FaultLate:     "late",
	FaultEcho:     "echo",
	FaultBanner:   "banner",
	FaultTrickle:  "trickle",
	FaultDouble:   "double",
	FaultReset:    "reset",
	FaultMix:      "mix",
}

// mixed are the faults FaultMix picks from.
var mixed = []Fault{FaultSilent, FaultGarbage, FaultError, FaultPartial, FaultLate, FaultEcho, FaultBanner, FaultTrickle,
	FaultDouble, FaultReset}

// FaultNames lists every fault's name, in order, for help texts.
func FaultNames() []string { return faultNames[:] }

// String returns the fault's name, as accepted by ParseFault.
func (f Fault) String() string {
	if f >= 0 && int(f) < len(faultNames) {
		return faultNames[f]
	}
	return fmt.Sprintf("Fault(%d)", int(f))
}

// ParseFault returns the fault named s (case-insensitive); "" is none.
func ParseFault(s string) (Fault, error) {
	if s == "" {
		return FaultNone, nil
	}
	for i, name := range faultNames {
		if strings.EqualFold(s, name) {
			return Fault(i), nil
		}
	}
	return FaultNone, fmt.Errorf("unknown fault %q (want one of %s)", s, strings.Join(faultNames[:], ", "))
}

// MarshalText and UnmarshalText make a Fault usable in YAML, JSON and flags.
func (f Fault) MarshalText() ([]byte, error) { return []byte(f.String()), nil }

// UnmarshalText parses a fault name, see ParseFault.
func (f *Fault) UnmarshalText(b []byte) error {
	v, err := ParseFault(string(b))
	if err != nil {
		return err
	}
	*f = v
	return nil
}
