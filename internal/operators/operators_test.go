package operators

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// memStorage is a Storage in memory that keeps the audit trail.
type memStorage struct {
	settings map[string][]byte
	audit    []string
}

func (m *memStorage) Setting(name string) ([]byte, error) {
	b, ok := m.settings[name]
	if !ok {
		return nil, errors.New("not found")
	}
	return b, nil
}
func (m *memStorage) SetSetting(name string, v []byte) error {
	m.settings[name] = append([]byte(nil), v...)
	return nil
}
func (m *memStorage) Audit(kind, detail string) error {
	m.audit = append(m.audit, kind+": "+detail)
	return nil
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newTable(t *testing.T) (*Table, *memStorage, *clock) {
	t.Helper()
	st := &memStorage{settings: map[string][]byte{}}
	c := &clock{t: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}
	tb, err := Load(st, DefaultPolicy, c.now)
	if err != nil {
		t.Fatal(err)
	}
	return tb, st, c
}

func TestFactoryPasswordMustBeChanged(t *testing.T) {
	tb, st, _ := newTable(t)
	if err := tb.Verify(Supervisor, DefaultSupervisorPassword); !errors.Is(err, ErrMustChange) {
		t.Fatalf("Verify(default) = %v, want ErrMustChange", err)
	}
	if err := tb.SetPassword(Supervisor, DefaultSupervisorPassword, "802413"); err != nil {
		t.Fatal(err)
	}
	if err := tb.Verify(Supervisor, "802413"); err != nil {
		t.Fatalf("Verify(new) = %v", err)
	}
	// The table survives a reload and holds no password in clear.
	for _, b := range st.settings {
		if strings.Contains(string(b), "802413") || strings.Contains(string(b), "123456") {
			t.Fatalf("a clear password is stored: %s", b)
		}
	}
	again, err := Load(st, DefaultPolicy, nil)
	if err != nil || again.Verify(Supervisor, "802413") != nil || again.MustChange(Supervisor) {
		t.Fatalf("reloaded table: %v", err)
	}
	if !strings.Contains(strings.Join(st.audit, "\n"), "operator 00 changed password") {
		t.Errorf("password change not audited: %q", st.audit)
	}
}

func TestPolicyRefusesGuessablePasswords(t *testing.T) {
	tb, _, _ := newTable(t)
	for pw, reason := range map[string]string{
		"12345": "digits", "1234567": "digits", "111111": "same", "234567": "consecutive",
		"987654": "consecutive", "123456": "consecutive", "12a456": "digits only",
	} {
		err := tb.CheckPolicy(Supervisor, pw)
		if !errors.Is(err, ErrWeak) || !strings.Contains(err.Error(), reason) {
			t.Errorf("CheckPolicy(%q) = %v, want ErrWeak about %q", pw, err, reason)
		}
	}
	for _, pw := range []string{"802413", "135790", "112233"} {
		if err := tb.CheckPolicy(Supervisor, pw); err != nil {
			t.Errorf("CheckPolicy(%q) = %v", pw, err)
		}
	}
	if err := tb.CheckPolicy("01", "0000"); !errors.Is(err, ErrWeak) {
		t.Errorf("operator default 0000 accepted")
	}
	if err := tb.CheckPolicy("01", "2580"); err != nil {
		t.Errorf("CheckPolicy(01, 2580) = %v", err)
	}
}

func TestLockOutGrowsWithFailures(t *testing.T) {
	tb, st, c := newTable(t)
	if err := tb.SetPassword(Supervisor, DefaultSupervisorPassword, "802413"); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 2; i++ {
		var w *WrongPasswordError
		if err := tb.Verify(Supervisor, "000001"); !errors.As(err, &w) || w.Left != 3-i {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	var l *LockedError
	if err := tb.Verify(Supervisor, "000001"); !errors.As(err, &l) || l.Until != c.t.Add(30*time.Second) {
		t.Fatalf("third failure = %v, want locked 30s", err)
	}
	// Locked: even the right password is refused until the time is up.
	if err := tb.Verify(Supervisor, "802413"); !errors.Is(err, ErrLocked) {
		t.Fatalf("right password while locked = %v", err)
	}
	c.t = c.t.Add(31 * time.Second)
	if err := tb.Verify(Supervisor, "000001"); !errors.As(err, &l) || l.Until != c.t.Add(60*time.Second) {
		t.Fatalf("fourth failure = %v, want locked 60s", err)
	}
	c.t = c.t.Add(61 * time.Second)
	if err := tb.Verify(Supervisor, "802413"); err != nil {
		t.Fatalf("right password after the lock = %v", err)
	}
	// Success resets the count: one failure is not a lock-out.
	if err := tb.Verify(Supervisor, "000001"); !errors.Is(err, ErrWrongPassword) {
		t.Fatalf("after reset = %v", err)
	}
	if !strings.Contains(strings.Join(st.audit, "\n"), "locked for 30s") {
		t.Errorf("lock-out not audited: %q", st.audit)
	}
}

func TestAddRemoveReset(t *testing.T) {
	tb, _, _ := newTable(t)
	if err := tb.Add("07", "2580"); err != nil {
		t.Fatal(err)
	}
	if err := tb.Add("07", "3691"); !errors.Is(err, ErrExists) {
		t.Errorf("Add existing = %v", err)
	}
	if err := tb.Add("00", "3691"); !errors.Is(err, ErrUnknown) {
		t.Errorf("Add supervisor = %v", err)
	}
	if err := tb.Verify("07", "2580"); err != nil {
		t.Fatal(err)
	}
	if err := tb.Reset("07"); err != nil {
		t.Fatal(err)
	}
	if err := tb.Verify("07", DefaultOperatorPassword); !errors.Is(err, ErrMustChange) {
		t.Errorf("after reset = %v", err)
	}
	if err := tb.Remove("07"); err != nil {
		t.Fatal(err)
	}
	if err := tb.Verify("07", "2580"); !errors.Is(err, ErrUnknown) {
		t.Errorf("removed operator = %v", err)
	}
	if err := tb.Remove(Supervisor); !errors.Is(err, ErrUnknown) {
		t.Errorf("Remove(supervisor) = %v", err)
	}
	if got := tb.IDs(); len(got) != 2 || got[0] != Supervisor {
		t.Errorf("IDs = %v", got)
	}
}
