package jigapi

import "time"

// Query passes one command line through to the fixture's board and returns
// its one answer line. It is not served on broadcasts: a board must never
// get every station's commands by accident.
var Query = define[QueryArgs, QueryResult]("Query",
	"send one allowed command line to the board and return its answer")

// QueryArgs is Query's argument.
type QueryArgs struct {
	// Command is one command line: printable ASCII, at most jig.MaxCommand
	// bytes, no ';'. It must match the manager's fixture.commands.allow.
	Command string `json:"command"`
	// Token is the fixture's current lease token (Lock). Required for a
	// command that changes the board (one without '?'); reads need none.
	Token string `json:"token,omitempty"`
}

// QueryResult is Query's result.
type QueryResult struct {
	Command string    `json:"command"` // as sent
	Answer  string    `json:"answer"`  // the board's answer line, without its line end
	ReadMS  float64   `json:"read_ms"` // from the write to the answer
	ReadAt  time.Time `json:"read_at"` // when the command was written (RFC 3339)
}

// IsWrite reports whether command changes the board: in SCPI a query
// has a '?', a command without one sets something.
func IsWrite(command string) bool {
	for i := 0; i < len(command); i++ {
		if command[i] == '?' {
			return false
		}
	}
	return true
}
