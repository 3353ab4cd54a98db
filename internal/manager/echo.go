package manager

import (
	"context"

	"github.com/jigmq/jigmq/jigapi"
)

func (h *handlers) echo(_ context.Context, a jigapi.EchoArgs) (jigapi.EchoResult, error) {
	if len(a.Text) > jigapi.MaxEchoText {
		return jigapi.EchoResult{}, jigapi.Errorf(jigapi.CodeBadRequest,
			`"text" is %d bytes, at most %d`, len(a.Text), jigapi.MaxEchoText)
	}
	return jigapi.EchoResult{Serial: h.serial, Text: a.Text}, nil
}
