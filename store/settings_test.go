package store_test

import (
	"errors"
	"testing"

	"countertop/store"
	"countertop/store/storetest"
)

func TestSettingsRoundTripAndAudit(t *testing.T) {
	db := storetest.Open(t)
	if _, err := db.Setting("operators"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Setting before any = %v, want ErrNotFound", err)
	}
	if err := db.SetSetting("operators", []byte(`{"v":1}`)); err != nil {
		t.Fatal(err)
	}
	got, err := db.Setting("operators")
	if err != nil || string(got) != `{"v":1}` {
		t.Fatalf("Setting = %q, %v", got, err)
	}
	log, err := db.AuditLog(10)
	if err != nil || len(log) == 0 || log[len(log)-1].Kind != "setting" {
		t.Fatalf("audit log = %+v, %v", log, err)
	}
	if err := db.SetSetting("x", []byte("card 6222021234567890128")); !errors.Is(err, store.ErrSensitive) {
		t.Errorf("a card number in a setting: error = %v, want ErrSensitive", err)
	}
	if err := db.Check(); err != nil {
		t.Errorf("Check after settings: %v", err)
	}
}
