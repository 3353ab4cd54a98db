package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"

	"github.com/jigmq/jigmq/mqmanager"
	"github.com/spf13/pflag"
)

const replyUserHelp = `Forged replies: every fixture's broker user can publish into a reply
queue it has learnt of (every fixture sees every broadcast), so with
--check-reply-user a reply counts only if its user_id, which the broker
validates, is the broker user of the fixture it is from: --reply-user-format
with the serial, "jig-%s" by default (deploy/rabbitmq/add-fixture.sh's
users). Other replies are discarded with a warning on stderr, and the
request waits on for the genuine reply or its --timeout. Without the check
any reply is taken: for development only (the demo's one guest user).
`

// replyUser holds the reply-user check's flags.
type replyUser struct {
	checkReplyUser bool
	format         string
	envErr         error // a JIGCTL_CHECK_REPLY_USER that is not a boolean
}

func (r *replyUser) flags(pf *pflag.FlagSet) {
	def := false
	if v := os.Getenv("JIGCTL_CHECK_REPLY_USER"); v != "" {
		var err error
		if def, err = strconv.ParseBool(v); err != nil {
			r.envErr = fmt.Errorf("JIGCTL_CHECK_REPLY_USER=%q: want true or false", v)
		}
	}
	pf.BoolVar(&r.checkReplyUser, "check-reply-user", def,
		"take a reply only from the fixture's broker user, see --reply-user-format (env JIGCTL_CHECK_REPLY_USER)")
	pf.StringVar(&r.format, "reply-user-format", envOr(mqmanager.DefaultReplyUserFormat, "JIGCTL_REPLY_USER_FORMAT"),
		"the `FORMAT` of a fixture's broker user, %s being its serial (env JIGCTL_REPLY_USER_FORMAT)")
}

func (r *replyUser) check() error {
	if r.envErr != nil {
		return r.envErr
	}
	_, err := mqmanager.ReplyUserFormat(r.format)
	return err
}

// configure sets the check on cfg, with warnings on stderr.
func (r *replyUser) configure(cfg *mqmanager.ClientConfig, stderr io.Writer) {
	if !r.checkReplyUser {
		return
	}
	cfg.CheckReplyUser = true
	cfg.ReplyUser, _ = mqmanager.ReplyUserFormat(r.format) // checked by check
	cfg.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		}}))
}
