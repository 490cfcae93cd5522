package entratest

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
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

// TestApproveDeviceCodesAs: a server in another process approves codes itself.
func TestApproveDeviceCodesAs(t *testing.T) {
	s := NewServer(&Options{ApproveDeviceCodesAs: DefaultUsername})
	defer s.Close()
	c := s.Client()
	res, err := c.PostForm(s.URL()+"/organizations/oauth2/v2.0/devicecode", map[string][]string{"client_id": {DefaultClientID}, "scope": {"https://management.azure.com/.default openid offline_access profile"}})
	require.NoError(t, err)
	var dc struct {
		DeviceCode string `json:"device_code"`
	}
	require.NoError(t, json.NewDecoder(res.Body).Decode(&dc))
	res.Body.Close()
	res, err = c.PostForm(s.URL()+"/organizations/oauth2/v2.0/token", map[string][]string{
		"grant_type": {"device_code"}, "device_code": {dc.DeviceCode}, "client_id": {DefaultClientID}, "client_info": {"1"},
		"scope": {"https://management.azure.com/.default openid offline_access profile"},
	})
	require.NoError(t, err)
	defer res.Body.Close()
	assert.Equal(t, http.StatusOK, res.StatusCode, "the first poll gets tokens")
}
