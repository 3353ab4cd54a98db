package jigapi

// Echo answers with its text: a round trip through the manager's request
// path that leaves the board alone, carrying a payload (Ping carries none),
// for checking a controller's path to a fixture and timing it.
var Echo = define[EchoArgs, EchoResult]("Echo",
	"answer with the text sent: the request path without the board")

// MaxEchoText bounds Echo's text, in bytes.
const MaxEchoText = 4096

// EchoArgs is Echo's argument.
type EchoArgs struct {
	Text string `json:"text"` // up to MaxEchoText bytes
}

// EchoResult is Echo's result.
type EchoResult struct {
	Serial string `json:"serial"` // the fixture whose manager answered
	Text   string `json:"text"`   // the text sent
}
