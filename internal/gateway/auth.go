package gateway

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

type authError struct {
	status    int
	code, msg string
}

// authorize checks the bearer token of a request that changes a fixture.
// Without api.token configured such requests are refused: the gateway
// changes nothing unless its operator chose a token.
func (g *Gateway) authorize(r *http.Request) *authError {
	if g.cfg.API.Token == "" {
		return &authError{http.StatusForbidden, "writes_disabled",
			"this endpoint changes the fixture: it is enabled only with a token (api.token, env JIG_GATEWAY_TOKEN)"}
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(g.cfg.API.Token)) != 1 {
		return &authError{http.StatusUnauthorized, "unauthorized", "a valid Authorization: Bearer <token> header is required"}
	}
	return nil
}
