package entratest

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFixedAddrAndCertificate: another process can find the server at a fixed
// address and trust it with Certificate alone.
func TestFixedAddrAndCertificate(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())

	s := NewServer(&Options{Addr: addr})
	defer s.Close()
	assert.Equal(t, "https://"+addr, s.URL())

	pool := x509.NewCertPool()
	pool.AddCert(s.Certificate())
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	defer c.CloseIdleConnections()
	res, err := c.Get(s.URL() + "/" + DefaultTenantID + "/v2.0/.well-known/openid-configuration")
	require.NoError(t, err)
	defer res.Body.Close()
	assert.Equal(t, http.StatusOK, res.StatusCode)
}

func TestAddrMustBeLoopback(t *testing.T) {
	defer func() {
		r := recover()
		require.NotNil(t, r)
		assert.True(t, strings.HasPrefix(r.(string), "entratest: "), r)
	}()
	NewUnstartedServer(&Options{Addr: "0.0.0.0:0"})
}
