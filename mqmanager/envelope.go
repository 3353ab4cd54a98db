package mqmanager

import (
	"encoding/json"
)

// envelope is the JSON body of every reply from a manager of this contract.
type envelope struct {
	OK        bool            `json:"ok"`
	Serial    string          `json:"serial"`
	Method    string          `json:"method"`
	Result    json.RawMessage `json:"result,omitempty"`
	Error     *wireError      `json:"error,omitempty"`
	ElapsedMS float64         `json:"elapsed_ms"`
}

type wireError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}
