package hostlink_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"testing"
	"time"

	"countertop/internal/hostlink"
	"countertop/internal/keys"
	"countertop/internal/msgs"
	"countertop/internal/txtype"
	"countertop/iso8583"
)

// tlsFront starts a TLS listener on loopback that forwards each connection to
// backend, as a TLS-terminating front end of an acquirer does. It returns the
// address and a client configuration trusting its certificate.
func tlsFront(t *testing.T, backend string) (string, *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "acquirer.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:    x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				b, err := net.Dial("tcp", backend)
				if err != nil {
					return
				}
				defer b.Close()
				go io.Copy(b, c)
				io.Copy(c, b)
			}()
		}
	}()
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return ln.Addr().String(), &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
}

func TestTLS(t *testing.T) {
	host := newHost(t)
	addr, cfg := tlsFront(t, host.Addr())
	c := hostlink.New(hostlink.Config{
		Addr: addr, ConnectTimeout: time.Second, ResponseTimeout: time.Second, TLS: cfg,
		Dialect: iso8583.CUP, Terminal: term, MACAlgorithm: keys.MACCUPECB,
	}, nil)
	wk := signIn(t, c)
	rep, err := c.Do(context.Background(), sale(t, "cup-debit", 2500, 2, wk.PIK), nil)
	if err != nil || rep.RespCode != "00" {
		t.Fatalf("sale over TLS: %q, %v", rep.RespCode, err)
	}

	// A certificate the terminal does not trust: the handshake fails, nothing sent.
	bad := hostlink.New(hostlink.Config{
		Addr: addr, ConnectTimeout: time.Second, ResponseTimeout: time.Second,
		TLS: &tls.Config{ServerName: "127.0.0.1"}, Dialect: iso8583.CUP, Terminal: term,
	}, nil)
	_, err = bad.Do(context.Background(), iso8583.Request{Type: txtype.Echo, STAN: 3, Batch: 1}, nil)
	if !errors.Is(err, hostlink.ErrNotSent) || hostlink.MessageCode(err) != msgs.ConnectFailed {
		t.Errorf("untrusted certificate: %v, want ErrNotSent at connecting", err)
	}
}
