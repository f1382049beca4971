package keys

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

// ErrPANData: an encrypted PAN that does not decrypt (wrong key, altered record).
var ErrPANData = errors.New("encrypted card number does not decrypt")

// PANSealer encrypts card numbers for the journal, for the later messages that need
// field 2 (a reversal after a restart, batch upload). Its key is derived from the
// terminal's PAN key (the key of the journal's PAN look-up hash) with a distinct
// label, so the hash key and the encryption key are never the same bytes. AES-256-GCM
// with a random nonce; a binding (the record's PAN hash) is authenticated with it, so
// an encrypted PAN moved to a record of another card does not decrypt.
type PANSealer struct{ aead cipher.AEAD }

// NewPANSealer derives the data key from panKey.
func NewPANSealer(panKey []byte) (*PANSealer, error) {
	if len(panKey) < 16 {
		return nil, fmt.Errorf("pan key of %d bytes: %w", len(panKey), ErrKeyLength)
	}
	m := hmac.New(sha256.New, panKey)
	m.Write([]byte("countertop journal pan encryption key v1"))
	block, err := aes.NewCipher(m.Sum(nil))
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &PANSealer{aead: aead}, nil
}

// Seal encrypts pan (digits) bound to binding; the result is hex.
func (s *PANSealer) Seal(binding, pan string) (string, error) {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := s.aead.Seal(nonce, nonce, []byte(pan), []byte(binding))
	return hex.EncodeToString(out), nil
}

// Open decrypts what Seal made with the same binding.
func (s *PANSealer) Open(binding, sealed string) (string, error) {
	b, err := hex.DecodeString(sealed)
	if err != nil || len(b) < s.aead.NonceSize() {
		return "", ErrPANData
	}
	n := s.aead.NonceSize()
	pan, err := s.aead.Open(nil, b[:n], b[n:], []byte(binding))
	if err != nil {
		return "", ErrPANData
	}
	return string(pan), nil
}
