package gateway

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// authorize checks the bearer token of a request that changes a fixture.
// Without api.token configured such requests are refused: the gateway
// changes nothing unless its operator chose a token. The scheme is
// case-insensitive (RFC 7235: "bearer" is "Bearer"); the token is compared
// in constant time.
func (g *Gateway) authorize(r *http.Request) *refusal {
	if g.cfg.API.Token == "" {
		return refuse(RefusedWritesDisabled,
			"this endpoint changes the fixture: it is enabled only with a token (api.token, env JIG_GATEWAY_TOKEN)")
	}
	scheme, got, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	got = strings.TrimLeft(got, " ")
	if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare([]byte(got), []byte(g.cfg.API.Token)) != 1 {
		return refuse(RefusedUnauthorized, "a valid Authorization: Bearer <token> header is required")
	}
	return nil
}
