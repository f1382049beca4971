package txn

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"countertop/emv/emvtest"
	"countertop/emv/tlv"
)

// maskTranscript hides what a transcript must not keep: the data of VERIFY commands
// (PIN blocks), and in responses the values of sensitive tags (PAN, tracks,
// cardholder name), which are replaced by FF bytes of the same length so the
// structure stays readable. A response that does not parse as BER-TLV keeps only its
// status word.
func maskTranscript(t emvtest.Transcript) emvtest.Transcript {
	out := emvtest.Transcript{Exchanges: make([]emvtest.Exchange, len(t.Exchanges))}
	for i, ex := range t.Exchanges {
		c, _ := hex.DecodeString(ex.C)
		r, _ := hex.DecodeString(ex.R)
		if len(c) > 5 && c[1] == 0x20 { // VERIFY: the PIN block
			for j := 5; j < len(c); j++ {
				c[j] = 0xFF
			}
		}
		if len(r) > 2 {
			data, sw := r[:len(r)-2], r[len(r)-2:]
			tlvs, err := tlv.Parse(data)
			if err != nil {
				data = nil
			} else {
				data = tlv.Encode(maskTLVs(tlvs)...)
			}
			r = append(data, sw...)
		}
		out.Exchanges[i] = emvtest.Exchange{C: strings.ToUpper(hex.EncodeToString(c)), R: strings.ToUpper(hex.EncodeToString(r))}
	}
	return out
}

func maskTLVs(tlvs []tlv.TLV) []tlv.TLV {
	out := make([]tlv.TLV, len(tlvs))
	for i, t := range tlvs {
		out[i] = t
		if len(t.Children) > 0 {
			out[i].Children = maskTLVs(t.Children)
			continue
		}
		if info, ok := tlv.Lookup(t.Tag); ok && info.Sensitive {
			v := make([]byte, len(t.Value))
			for j := range v {
				v[j] = 0xFF
			}
			out[i].Value = v
		}
	}
	return out
}

// writeTrace saves a masked transcript of a chip transaction in dir.
func writeTrace(dir string, when time.Time, t emvtest.Transcript) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	b, err := json.MarshalIndent(maskTranscript(t), "", "  ")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, fmt.Sprintf("chip-%s.json", when.UTC().Format("20060102T150405.000000000")))
	return path, os.WriteFile(path, b, 0o600)
}
