package loopback

import (
	"bytes"
	"fmt"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestResultRedaction(t *testing.T) {
	t.Parallel()
	r := Result{Code: "SECRET-CODE"}
	wrapped := struct {
		R   Result
		Ptr *Result
	}{r, &r}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		for _, v := range []any{r, &r, wrapped, []Result{r}} {
			out := fmt.Sprintf(verb, v)
			assert.NotContains(t, out, "SECRET", "%s of %T", verb, v)
			assert.NotContains(t, out, "5345435245", "%s of %T (hex)", verb, v)
		}
	}
	assert.NotContains(t, r.String(), "SECRET")
	assert.NotContains(t, fmt.Sprintf("%#v", r), "SECRET")
	assert.Contains(t, fmt.Sprint(r), "REDACTED")

	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("got", "result", r)
	assert.NotContains(t, buf.String(), "SECRET")
}

func TestResponseError(t *testing.T) {
	t.Parallel()
	e := &ResponseError{Code: "access_denied", Description: "AADSTS65004: User declined"}
	assert.Equal(t, `the authorization server returned error "access_denied": AADSTS65004: User declined`, e.Error())
	assert.True(t, e.Cancelled())
	e = &ResponseError{Code: "invalid_request"}
	assert.Equal(t, `the authorization server returned error "invalid_request"`, e.Error())
	assert.False(t, e.Cancelled())
}
