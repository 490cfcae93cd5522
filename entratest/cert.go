package entratest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"net"
	"time"
)

// routedHosts are the public Entra hosts that [Server.Client] sends to the emulator.
// The TLS certificate names them so that TLS verification succeeds for them too.
var routedHosts = []string{"login.microsoftonline.com", "login.microsoft.com", "login.windows.net"}

// newTLSCertificate makes a self-signed ECDSA P-256 certificate for the loopback addresses
// and the routed Entra hosts. It lives for a day: no test runs that long, and a short life
// keeps the certificate useless outside the process that made it.
func newTLSCertificate() (tls.Certificate, *x509.Certificate) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic("entratest: generating TLS key: " + err.Error())
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		panic("entratest: generating certificate serial: " + err.Error())
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{Organization: []string{"entratest"}, CommonName: "entratest local Entra ID"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              append([]string{"localhost"}, routedHosts...),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic("entratest: creating TLS certificate: " + err.Error())
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		panic("entratest: parsing TLS certificate: " + err.Error())
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, leaf
}

// newSigningKey makes the RSA key that signs every token of one server, and its key ID.
// The key ID is derived from the public key, like a certificate thumbprint.
func newSigningKey() (*rsa.PrivateKey, string) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic("entratest: generating signing key: " + err.Error())
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		panic("entratest: marshaling signing key: " + err.Error())
	}
	sum := sha256.Sum256(der)
	return key, base64.RawURLEncoding.EncodeToString(sum[:20])
}
