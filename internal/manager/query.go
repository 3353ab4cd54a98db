package manager

import (
	"context"
	"strings"

	"github.com/jigmq/jigmq/jig"
	"github.com/jigmq/jigmq/jigapi"
)

// query passes one command line through to the board, in the same
// serialised conversation as status reads. In order: the command must be
// one valid line, not blank (else bad_request: nothing smuggled is ever
// sent), match fixture.commands.allow (else forbidden), and if it changes
// the board carry the current lease's token (else not_locked or locked).
func (h *handlers) query(ctx context.Context, a jigapi.QueryArgs) (jigapi.QueryResult, error) {
	if err := jig.ValidateCommand(a.Command); err != nil {
		return jigapi.QueryResult{}, jigapi.Errorf(jigapi.CodeBadRequest, "%v", err)
	}
	if strings.TrimSpace(a.Command) == "" {
		return jigapi.QueryResult{}, jigapi.Errorf(jigapi.CodeBadRequest, "command %q is blank", a.Command)
	}
	if !h.fixture.Allows(a.Command) {
		return jigapi.QueryResult{}, jigapi.Errorf(jigapi.CodeForbidden, "command %q is not allowed by %s [%s]",
			a.Command, jig.AllowKey, strings.Join(h.fixture.AllowList(), ", "))
	}
	if jigapi.IsWrite(a.Command) {
		if err := h.leases.CheckWrite(a.Command, a.Token); err != nil {
			return jigapi.QueryResult{}, err
		}
	}
	bctx, cancel := boardDeadline(ctx)
	defer cancel()
	ans, err := h.dev.Do(bctx, a.Command)
	if late := boardLate(ctx, err); late != nil {
		return jigapi.QueryResult{}, late
	}
	if err != nil {
		return jigapi.QueryResult{}, jigapi.BoardError(err)
	}
	return jigapi.QueryResult{Command: ans.Command, Answer: ans.Line, ReadMS: ans.MS, ReadAt: ans.SentAt}, nil
}
