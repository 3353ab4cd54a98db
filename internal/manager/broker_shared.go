package manager

import (
	"errors"
	"fmt"

	"github.com/jigmq/jigmq/mqmanager"
)

// The broker section is shared with jig-gateway, whose configuration has
// the same broker: key with the same rules.

// Check reports every problem of the broker section, each with its key
// path under broker.
func (b Broker) Check() error {
	var errs []error
	if len(b.URLs) == 0 {
		errs = append(errs, errors.New("broker.urls: at least one URL"))
	}
	for _, u := range b.URLs {
		if err := mqmanager.ValidateURL(u); err != nil {
			errs = append(errs, fmt.Errorf("broker.urls: %v", err))
		}
	}
	errs = append(errs, b.validateTLS()...)
	if b.TLS.External && b.User == "" {
		errs = append(errs, errors.New("broker.user: required with broker.tls.external"))
	}
	mb := mqmanager.Broker{URLs: b.URLs, External: b.TLS.External, User: b.User}
	if err := mb.CheckUser(); err != nil {
		errs = append(errs, fmt.Errorf("broker.user: %v", err))
	}
	if b.Heartbeat < 0 {
		errs = append(errs, errors.New("broker.heartbeat: must not be negative"))
	}
	return errors.Join(errs...)
}

// MQ is the section as mqmanager takes it, the password filled in; name
// is the connection's name in the management UI. b must be valid.
func (b Broker) MQ(name string) (mqmanager.Broker, error) {
	tlsCfg, err := b.TLS.tlsConfig()
	if err != nil {
		return mqmanager.Broker{}, err
	}
	return mqmanager.Broker{URLs: b.urls(), Heartbeat: b.Heartbeat, TLS: tlsCfg,
		External: b.TLS.External, User: b.User, Name: name}, nil
}
