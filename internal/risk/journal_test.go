package risk_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"countertop/internal/msgs"
	"countertop/internal/risk"
	"countertop/store"
	"countertop/store/storetest"
)

// TestOnJournal runs the wrong-PIN rule on a real journal: *store.DB is the History and
// the Auditor, its clock is the test's.
func TestOnJournal(t *testing.T) {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Skip(err)
	}
	clock := time.Date(2026, 11, 27, 10, 0, 0, 0, loc)
	db := storetest.OpenPath(t, t.TempDir()+"/journal.db", &store.Options{Now: func() time.Time { return clock }})

	cfg := risk.DefaultConfig()
	cfg.WrongPIN = risk.CountRule{Enabled: true, Action: risk.ActBlock, Count: 2, Window: time.Hour}
	e, err := risk.New(cfg, db, risk.Options{Audit: db})
	if err != nil {
		t.Fatal(err)
	}
	wrongPIN := func() store.Record {
		r := storetest.Sale(1000)
		if err := db.Begin(r); err != nil {
			t.Fatal(err)
		}
		r.State, r.RespCode, r.ReversalReason = store.Declined, risk.WrongPIN, ""
		if err := db.Finish(r); err != nil {
			t.Fatal(err)
		}
		return *r
	}
	card := storetest.Sale(1000).PANHash

	first := wrongPIN()
	if got, err := e.CheckResult(first); err != nil || len(got) != 0 {
		t.Fatalf("first wrong PIN: %v, %v; want no alarm", got, err)
	}
	clock = clock.Add(20 * time.Minute)
	second := wrongPIN()
	got, err := e.CheckResult(second)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Rule != risk.RuleWrongPIN || !got[0].Block || got[0].Code != msgs.RiskWrongPIN {
		t.Fatalf("second wrong PIN: alarms %+v; want one wrong_pin block", got)
	}

	clock = clock.Add(time.Minute)
	got, err = e.Check(risk.Candidate{Type: second.Type, Amount: second.Amount, PANHash: card, Time: clock})
	if _, blocked := risk.Blocked(got); err != nil || !blocked {
		t.Errorf("third try: %+v, %v; want blocked", got, err)
	}
	clock = clock.Add(40 * time.Minute) // the first wrong PIN leaves the hour
	got, err = e.Check(risk.Candidate{Type: second.Type, Amount: second.Amount, PANHash: card, Time: clock})
	if err != nil || len(got) != 0 {
		t.Errorf("an hour after the first: %+v, %v; want no alarm", got, err)
	}

	log, err := db.AuditLog(0)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, a := range log {
		if a.Kind == risk.AuditKind {
			kinds = append(kinds, a.Detail[:len("rule=wrong_pin action=block")])
		}
	}
	if d := cmp.Diff([]string{"rule=wrong_pin action=block", "rule=wrong_pin action=block"}, kinds); d != "" {
		t.Errorf("alarms in the audit log (-want +got):\n%s", d)
	}
}
