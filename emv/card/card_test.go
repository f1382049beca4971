package card_test

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"countertop/emv"
	"countertop/emv/card"
	"countertop/emv/crypto"
	"countertop/emv/tlv"
	"countertop/internal/cardprofile"
	"countertop/testdata"
	emvdata "countertop/testdata/emv"
)

var update = flag.Bool("update", false, "rewrite testdata/emv/capk from testdata/emv/keys/ca.pem")

var rids = map[string][]byte{"a000000333": emv.AIDUnionPayDebit[:5], "a000000003": emv.AIDVisaCredit[:5], "a000000004": emv.AIDMastercard[:5]}

// TestCAPKFiles checks (or with -update writes) the CA public keys the terminal trusts
// against the test CA's private key.
func TestCAPKFiles(t *testing.T) {
	keys, err := card.LoadKeys()
	if err != nil {
		t.Fatal(err)
	}
	for name, rid := range rids {
		mod := keys.CA.N.Bytes()
		exp := []byte{0x01, 0x00, 0x01}
		h := sha1.New()
		h.Write(rid)
		h.Write([]byte{card.CAPKIndex})
		h.Write(mod)
		h.Write(exp)
		want := emv.CAPK{RID: rid, Index: card.CAPKIndex, Modulus: mod, Exponent: exp,
			Expiry: time.Date(2040, 12, 31, 0, 0, 0, 0, time.UTC), Checksum: h.Sum(nil)}
		file := name + "-f1.json"
		if *update {
			b, err := emv.MarshalCAPK(want)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join("..", "..", "testdata", "emv", "capk", file), append(b, '\n'), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		b, err := fs.ReadFile(emvdata.FS, "capk/"+file)
		if err != nil {
			t.Fatalf("%v (run go test ./emv/card -run TestCAPKFiles -update)", err)
		}
		got, err := emv.ParseCAPK(b)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s differs from the CA key (-want +got):\n%s", file, diff)
		}
	}
}

func profile(t *testing.T, name string) cardprofile.Profile {
	t.Helper()
	ps, err := cardprofile.Load(testdata.FS, "cards")
	if err != nil {
		t.Fatal(err)
	}
	p, err := cardprofile.Find(ps, name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func newCard(t *testing.T, name string, faults ...string) *card.Card {
	t.Helper()
	keys, err := card.LoadKeys()
	if err != nil {
		t.Fatal(err)
	}
	p := profile(t, name)
	chip := *p.Chip
	chip.Faults = append(append([]string(nil), chip.Faults...), faults...)
	p.Chip = &chip
	c, err := card.New(p, keys)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func tx(t *testing.T, c *card.Card, h string) ([]byte, string) {
	t.Helper()
	b, _ := hex.DecodeString(strings.ReplaceAll(h, " ", ""))
	r, err := c.Transmit(context.Background(), b)
	if err != nil {
		t.Fatal(err)
	}
	return r[:len(r)-2], strings.ToUpper(hex.EncodeToString(r[len(r)-2:]))
}

func selectApp(t *testing.T, c *card.Card) {
	t.Helper()
	aid := c.AID()
	cmd := append(append([]byte{0x00, 0xA4, 0x04, 0x00, byte(len(aid))}, aid...), 0x00)
	if _, s := tx(t, c, hex.EncodeToString(cmd)); s != "9000" {
		t.Fatalf("select = %s", s)
	}
}

func TestVerify_TryCounterCountsDownAndBlocks(t *testing.T) {
	c := newCard(t, "visa-chip")
	selectApp(t, c)
	wrong := "0020008008 24 9999 FFFFFFFFFF"
	for _, want := range []string{"63C2", "63C1", "63C0", "6983"} {
		if _, s := tx(t, c, wrong); s != want {
			t.Fatalf("VERIFY wrong PIN = %s, want %s", s, want)
		}
	}
	if c.PINTries() != 0 {
		t.Errorf("tries = %d", c.PINTries())
	}
}

func TestVerify_RightPINResetsCounter(t *testing.T) {
	c := newCard(t, "visa-chip")
	selectApp(t, c)
	tx(t, c, "0020008008 24 9999 FFFFFFFFFF")
	if _, s := tx(t, c, "0020008008 24 4315 FFFFFFFFFF"); s != "9000" {
		t.Fatalf("VERIFY right PIN = %s", s)
	}
	if c.PINTries() != 3 {
		t.Errorf("tries = %d, want 3", c.PINTries())
	}
}

// TestGenerateAC_ARQCVerifiesWithIssuerKeys checks the card's ARQC the way an issuer
// does: ICC MK from the IMK, session key from the ATC, MAC over CDOL1 data, AIP, ATC,
// CVR; and that the ARPC the issuer computes passes EXTERNAL AUTHENTICATE.
func TestGenerateAC_ARQCVerifiesWithIssuerKeys(t *testing.T) {
	p := profile(t, "cup-chip-swiped")
	c := newCard(t, "cup-chip-swiped")
	selectApp(t, c)
	_, s := tx(t, c, "80A8000010830E000000010000015601561234567800")
	if s != "9000" {
		t.Fatalf("gpo = %s", s)
	}
	cdol := "000000100000" + "000000000000" + "0156" + "0000008000" + "0156" + "261127" + "00" + "12345678"
	r, s := tx(t, c, "80AE80001D"+cdol+"00")
	if s != "9000" {
		t.Fatalf("genac = %s", s)
	}
	ts, err := tlv.Parse(r)
	if err != nil || ts[0].Tag != 0x80 {
		t.Fatalf("genac response %X: %v", r, err)
	}
	v := ts[0].Value
	cid, atc, arqc, iad := v[0], v[1:3], v[3:11], v[11:]
	if cid != 0x80 {
		t.Fatalf("cid = %02X, want ARQC", cid)
	}
	imk, _ := hex.DecodeString(p.Chip.IMK)
	mk, err := crypto.DeriveICCMasterKey(imk, p.PAN, p.Chip.PSN, crypto.OptionA)
	if err != nil {
		t.Fatal(err)
	}
	sk, _ := crypto.SessionKey(mk, crypto.ACDiversifier(uint16(atc[0])<<8|uint16(atc[1])))
	data, _ := hex.DecodeString(cdol)
	want, _ := crypto.AC(sk, card.ACInput(data, []byte{0x7C, 0x00}, atc, iad[3:7]), crypto.Padding2)
	if !bytes.Equal(arqc, want) {
		t.Fatalf("arqc = %X, issuer computes %X", arqc, want)
	}
	arpc, _ := crypto.ARPC1(sk, arqc, []byte("00"))
	if _, s := tx(t, c, "008200000A"+hex.EncodeToString(arpc)+"3030"); s != "9000" {
		t.Fatalf("external authenticate with the right ARPC = %s", s)
	}
}

func TestExternalAuthenticate_WrongARPCRefused(t *testing.T) {
	c := newCard(t, "cup-chip-swiped")
	selectApp(t, c)
	tx(t, c, "80A8000010830E000000010000015601561234567800")
	tx(t, c, "80AE80001D"+strings.Repeat("00", 29)+"00")
	if _, s := tx(t, c, "008200000A"+strings.Repeat("11", 8)+"3030"); s != "6300" {
		t.Fatalf("external authenticate with a wrong ARPC = %s, want 6300", s)
	}
}

func TestFaults(t *testing.T) {
	c := newCard(t, "visa-chip", card.FaultBlockedApp)
	aid := c.AID()
	r, err := c.Transmit(context.Background(), append(append([]byte{0x00, 0xA4, 0x04, 0x00, byte(len(aid))}, aid...), 0x00))
	if err != nil || !bytes.HasSuffix(r, []byte{0x62, 0x83}) {
		t.Errorf("blocked app select = %X, %v", r, err)
	}
	c = newCard(t, "visa-chip", card.FaultRemovedAtGenAC)
	selectApp(t, c)
	tx(t, c, "80A8000002830000")
	if _, err := c.Transmit(context.Background(), []byte{0x80, 0xAE, 0x40, 0x00}); !errors.Is(err, card.ErrRemoved) {
		t.Errorf("genac on a removed card: %v", err)
	}
}

func TestNew_ProfileWithoutChipRefused(t *testing.T) {
	keys, err := card.LoadKeys()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := card.New(profile(t, "cup-debit"), keys); !errors.Is(err, card.ErrProfile) {
		t.Errorf("New(magstripe card) = %v", err)
	}
}
