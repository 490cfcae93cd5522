package brokertest

import (
	"encoding/json"

	"github.com/azinteractive/azinteractive/entratest/internal/brokerhook"
)

// issue answers a token request for a broker account. The caller holds b.mu.
func (b *Broker) issue(ap *brokerhook.AuthParameters, a *brokerAccount, interactive bool) string {
	answer, _ := b.issueChecked(ap, a, interactive)
	return answer
}

// issueChecked is issue, reporting whether tokens were issued: the server checks the
// request against its directory and mints the tokens. The caller holds b.mu.
func (b *Broker) issueChecked(ap *brokerhook.AuthParameters, a *brokerAccount, interactive bool) (string, bool) {
	tr, fail := b.srv.Issue(ap, a, interactive)
	if fail != nil {
		return errorJSON(true, Error{Status: Status(fail.Status), ErrorCode: fail.ErrorCode, Context: fail.Context}), false
	}
	out, err := json.Marshal(map[string]any{"brokerTokenResponse": tr})
	if err != nil {
		panic("brokertest: " + err.Error())
	}
	return string(out), true
}
