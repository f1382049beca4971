package keys

import (
	"errors"
	"strings"
	"testing"
)

func TestPANSealer(t *testing.T) {
	s, err := NewPANSealer([]byte("0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	const pan = "6222021234567890128"
	sealed, err := s.Seal("hash-a", pan)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, pan) || strings.Contains(strings.ToUpper(sealed), "6222021234567890128") {
		t.Fatal("sealed value holds the PAN")
	}
	if got, err := s.Open("hash-a", sealed); err != nil || got != pan {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := s.Open("hash-b", sealed); !errors.Is(err, ErrPANData) {
		t.Errorf("opened under another binding: %v", err)
	}
	other, _ := NewPANSealer([]byte("fedcba9876543210"))
	if _, err := other.Open("hash-a", sealed); !errors.Is(err, ErrPANData) {
		t.Errorf("opened under another key: %v", err)
	}
	again, _ := s.Seal("hash-a", pan)
	if again == sealed {
		t.Error("two seals of the same PAN are equal: the nonce is not random")
	}
	if _, err := NewPANSealer([]byte("short")); !errors.Is(err, ErrKeyLength) {
		t.Errorf("short key: %v", err)
	}
}
