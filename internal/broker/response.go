package broker

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// MaxResponseSize bounds the broker's answers the client reads: token
// responses are a few kilobytes, and a broken or hostile service mustn't make
// the client parse arbitrary amounts of JSON.
const MaxResponseSize = 1 << 20

// TokenResult is a token the broker issued; fmt never prints its tokens.
type TokenResult struct {
	AccessToken       string
	TokenType         string // "Bearer", or "pop" for proof-of-possession tokens
	IDToken           string
	Account           Account
	ClientInfo        string
	ExpiresOn         time.Time
	ExtendedExpiresOn time.Time // zero when the broker sent none
	GrantedScopes     []string
}

// String describes r without its tokens.
func (r *TokenResult) String() string {
	return fmt.Sprintf("broker.TokenResult{AccessToken: <redacted>, TokenType: %q, IDToken: <redacted>, Account: %q, ExpiresOn: %s, GrantedScopes: %q}",
		r.TokenType, r.Account.Username, r.ExpiresOn.UTC().Format(time.RFC3339), r.GrantedScopes)
}

// Format keeps the tokens out of every fmt verb.
func (r *TokenResult) Format(f fmt.State, _ rune) { _, _ = fmt.Fprint(f, r.String()) }

// wireToken is brokerTokenResponse; members whose type varies stay raw.
type wireToken struct {
	AccessToken       string          `json:"accessToken"`
	AccessTokenType   json.RawMessage `json:"accessTokenType"`
	IDToken           string          `json:"idToken"`
	Account           *Account        `json:"account"`
	ClientInfo        string          `json:"clientInfo"`
	ExpiresOn         json.RawMessage `json:"expiresOn"`
	ExtendedExpiresOn json.RawMessage `json:"extendedExpiresOn"`
	GrantedScopes     json.RawMessage `json:"grantedScopes"`
	Error             json.RawMessage `json:"error"`
}

// ParseTokenResponse reads a token method's answer: a token, an *Error the
// broker reported, or an error wrapping ErrBadResponse. Errors never quote
// the response, which may hold tokens.
func ParseTokenResponse(method string, b []byte) (*TokenResult, error) {
	top, err := parseAnswer(method, b)
	if err != nil {
		return nil, err
	}
	return tokenResult(method, top)
}

func tokenResult(method string, top map[string]json.RawMessage) (*TokenResult, error) {
	raw, ok := top["brokerTokenResponse"]
	if !ok || isNull(raw) {
		return nil, badResponse(method, "it has neither brokerTokenResponse nor error")
	}
	var w wireToken
	if err := json.Unmarshal(raw, &w); err != nil {
		return nil, badResponse(method, "brokerTokenResponse isn't an object of the expected members")
	}
	if len(w.Error) > 0 && !isNull(w.Error) {
		return nil, parseError(method, w.Error)
	}
	if w.AccessToken == "" {
		return nil, badResponse(method, "brokerTokenResponse has no accessToken")
	}
	r := &TokenResult{AccessToken: w.AccessToken, IDToken: w.IDToken, ClientInfo: w.ClientInfo, TokenType: "Bearer"}
	if w.Account != nil {
		r.Account = *w.Account
	}
	if t, ok := parseInt(w.AccessTokenType); ok && t == 1 {
		r.TokenType = "pop"
	}
	ms, ok := parseInt(w.ExpiresOn)
	if !ok || ms <= 0 {
		return nil, badResponse(method, "brokerTokenResponse has no expiresOn (milliseconds since 1970)")
	}
	r.ExpiresOn = time.UnixMilli(ms)
	if ms, ok := parseInt(w.ExtendedExpiresOn); ok && ms > 0 {
		r.ExtendedExpiresOn = time.UnixMilli(ms)
	}
	if r.GrantedScopes, ok = parseScopes(w.GrantedScopes); !ok {
		return nil, badResponse(method, "grantedScopes is neither an array of strings nor a string")
	}
	return r, nil
}

// parseAnswer reads an answer's object, or the *Error the broker reported.
func parseAnswer(method string, b []byte) (map[string]json.RawMessage, error) {
	if len(b) > MaxResponseSize {
		return nil, badResponse(method, fmt.Sprintf("it is larger than %d bytes", MaxResponseSize))
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil || top == nil {
		return nil, badResponse(method, "it isn't a JSON object")
	}
	if e, ok := top["error"]; ok && !isNull(e) {
		return nil, parseError(method, e)
	}
	return top, nil
}

// parseError reads an error member: the broker's object, or a bare string.
func parseError(method string, raw json.RawMessage) *Error {
	e := &Error{Method: method}
	if s, ok := parseString(raw); ok {
		e.Context = s
		return e
	}
	var w struct {
		Context                           string
		Status, SubStatus, ErrorCode, Tag json.RawMessage
	}
	if json.Unmarshal(raw, &w) != nil {
		e.Context = "the broker's error object can't be read"
		return e
	}
	e.Context = w.Context
	if n, ok := parseInt(w.Status); ok {
		e.Status = Status(n)
	} else if name, ok := parseString(w.Status); ok {
		for s, n := range statusNames {
			if strings.EqualFold(n, name) {
				e.Status = s
			}
		}
	}
	e.SubStatus, _ = parseInt(w.SubStatus)
	e.ErrorCode, _ = parseInt(w.ErrorCode)
	e.Tag, _ = parseInt(w.Tag)
	return e
}

// parseInt reads a JSON number, or a string holding one, as an integer.
func parseInt(raw json.RawMessage) (int64, bool) {
	s, ok := parseString(raw)
	if !ok {
		s = string(raw)
	}
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || f >= 1<<63 || f < -(1<<63) { // NaN != NaN
		return 0, false
	}
	return int64(f), true
}

func parseString(raw json.RawMessage) (string, bool) {
	var s string
	return s, json.Unmarshal(raw, &s) == nil
}

// parseScopes reads grantedScopes: a string array, or one space-separated string.
func parseScopes(raw json.RawMessage) ([]string, bool) {
	if len(raw) == 0 || isNull(raw) {
		return nil, true
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		out := list[:0]
		for _, s := range list {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
		return out, true
	}
	s, ok := parseString(raw)
	return strings.Fields(s), ok
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

func badResponse(method, why string) error {
	return fmt.Errorf("%w: %s answered, but %s", ErrBadResponse, method, why)
}
