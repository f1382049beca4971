// Package operators owns the terminal's operators and their passwords: the supervisor
// (主管, 00) and operators 01–99. Passwords are kept only as argon2id hashes with a
// per-password salt; the factory default supervisor password must be changed before
// the first transaction; weak passwords (too short, all one digit, a run of
// consecutive digits) are refused; repeated failures lock the operator out for a
// delay that doubles with each further failure. Every change is audited.
//
// The table is persisted as one document through a Storage (the journal's settings),
// so it is in the journal's backups. It imports only L0 packages and x/crypto.
package operators

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"golang.org/x/crypto/argon2"
)

// ID is an operator number, "00" (supervisor) to "99".
type ID string

// Supervisor is the supervisor's operator number.
const Supervisor ID = "00"

// Defaults from the factory: the supervisor's 123456 (as on NL/SD terminals) and
// operator 01's 0000, both to be changed before use.
const (
	DefaultSupervisorPassword = "123456"
	DefaultOperatorPassword   = "0000"
)

// Outcomes a caller acts on.
var (
	// ErrUnknown: no such operator.
	ErrUnknown = errors.New("no such operator")
	// ErrWrongPassword: the password does not match (a *WrongPasswordError says how
	// many tries are left before a lock-out).
	ErrWrongPassword = errors.New("wrong password")
	// ErrLocked: too many failures; a *LockedError says until when.
	ErrLocked = errors.New("operator locked")
	// ErrMustChange: the password is right but is the factory default or was reset:
	// it must be changed before the operator may work.
	ErrMustChange = errors.New("password must be changed")
	// ErrWeak: the new password breaks the policy (a *WeakError says how).
	ErrWeak = errors.New("password too weak")
	// ErrExists: Add of an operator that exists.
	ErrExists = errors.New("operator exists")
)

// WrongPasswordError is a failed verification with the tries left.
type WrongPasswordError struct{ Left int }

func (e *WrongPasswordError) Error() string {
	return fmt.Sprintf("wrong password, %d tries left", e.Left)
}
func (e *WrongPasswordError) Unwrap() error { return ErrWrongPassword }

// LockedError says until when an operator is locked out.
type LockedError struct{ Until time.Time }

func (e *LockedError) Error() string { return "operator locked until " + e.Until.Format(time.TimeOnly) }
func (e *LockedError) Unwrap() error { return ErrLocked }

// WeakError says why a password was refused.
type WeakError struct{ Reason string }

func (e *WeakError) Error() string { return "password too weak: " + e.Reason }
func (e *WeakError) Unwrap() error { return ErrWeak }

// Policy is the password and lock-out policy.
type Policy struct {
	SupervisorLen int           // exact length of the supervisor's password (6)
	OperatorLen   int           // exact length of an operator's password (4)
	MaxFailures   int           // failures before the first lock-out (3)
	BaseLock      time.Duration // first lock-out (30 s); it doubles with each further failure
	MaxLock       time.Duration // longest lock-out (1 h)
}

// DefaultPolicy is the policy of a new terminal.
var DefaultPolicy = Policy{SupervisorLen: 6, OperatorLen: 4, MaxFailures: 3, BaseLock: 30 * time.Second, MaxLock: time.Hour}

// Storage keeps the table's document durable and audits changes.
type Storage interface {
	Setting(name string) ([]byte, error)
	SetSetting(name string, value []byte) error
	Audit(kind, detail string) error
}

const settingName = "operators"

// argon2id parameters (RFC 9106 second recommended option scaled to a terminal:
// 19 MiB, 2 passes, as OWASP suggests for argon2id).
type params struct {
	Time    uint32 `json:"t"`
	Memory  uint32 `json:"m"` // KiB
	Threads uint8  `json:"p"`
}

var defaultParams = params{Time: 2, Memory: 19 * 1024, Threads: 1}

type operator struct {
	Hash        []byte    `json:"hash"`
	Salt        []byte    `json:"salt"`
	Params      params    `json:"params"`
	MustChange  bool      `json:"must_change"`
	Failures    int       `json:"failures"`
	LockedUntil time.Time `json:"locked_until"`
}

type document struct {
	Version   int             `json:"version"`
	Operators map[ID]operator `json:"operators"`
}

// Table is the operator table. It is safe for concurrent use.
type Table struct {
	mu  sync.Mutex
	st  Storage
	pol Policy
	now func() time.Time
	doc document
}

// Load reads the table from st, creating the factory table (supervisor 00 and
// operator 01 with default passwords that must be changed) on first use.
func Load(st Storage, pol Policy, now func() time.Time) (*Table, error) {
	if now == nil {
		now = time.Now
	}
	t := &Table{st: st, pol: pol, now: now}
	b, err := st.Setting(settingName)
	if err == nil {
		if err := json.Unmarshal(b, &t.doc); err != nil {
			return nil, fmt.Errorf("operator table: %w", err)
		}
		if t.doc.Version != 1 || t.doc.Operators[Supervisor].Hash == nil {
			return nil, fmt.Errorf("operator table: version %d without a supervisor", t.doc.Version)
		}
		return t, nil
	}
	t.doc = document{Version: 1, Operators: map[ID]operator{}}
	for id, pw := range map[ID]string{Supervisor: DefaultSupervisorPassword, "01": DefaultOperatorPassword} {
		op, err := newOperator(pw)
		if err != nil {
			return nil, err
		}
		op.MustChange = true
		t.doc.Operators[id] = op
	}
	if err := t.save("operators created with factory passwords"); err != nil {
		return nil, err
	}
	return t, nil
}

func newOperator(password string) (operator, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return operator{}, fmt.Errorf("salt: %w", err)
	}
	p := defaultParams
	return operator{Salt: salt, Params: p, Hash: argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, 32)}, nil
}

func (o operator) matches(password string) bool {
	h := argon2.IDKey([]byte(password), o.Salt, o.Params.Time, o.Params.Memory, o.Params.Threads, uint32(len(o.Hash)))
	return subtle.ConstantTimeCompare(h, o.Hash) == 1
}

// save writes the table with an audit detail (never a password or hash).
func (t *Table) save(detail string) error {
	b, err := json.Marshal(t.doc)
	if err != nil {
		return err
	}
	if err := t.st.SetSetting(settingName, b); err != nil {
		return fmt.Errorf("save operator table: %w", err)
	}
	if detail != "" {
		if err := t.st.Audit("operators", detail); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
	}
	return nil
}

// Verify checks id's password. A right password of an operator who must change it
// returns ErrMustChange (the password was right). Failures count towards a lock-out.
func (t *Table) Verify(id ID, password string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	op, ok := t.doc.Operators[id]
	if !ok {
		return fmt.Errorf("operator %s: %w", id, ErrUnknown)
	}
	now := t.now()
	if now.Before(op.LockedUntil) {
		return &LockedError{Until: op.LockedUntil}
	}
	if !op.matches(password) {
		op.Failures++
		detail := fmt.Sprintf("operator %s wrong password (%d)", id, op.Failures)
		var err error = &WrongPasswordError{Left: max(0, t.pol.MaxFailures-op.Failures)}
		if op.Failures >= t.pol.MaxFailures {
			lock := t.pol.BaseLock << (op.Failures - t.pol.MaxFailures)
			if lock > t.pol.MaxLock || lock <= 0 {
				lock = t.pol.MaxLock
			}
			op.LockedUntil = now.Add(lock)
			err = &LockedError{Until: op.LockedUntil}
			detail += fmt.Sprintf(", locked for %s", lock)
		}
		t.doc.Operators[id] = op
		if serr := t.save(detail); serr != nil {
			return serr
		}
		return err
	}
	if op.Failures != 0 || !op.LockedUntil.IsZero() {
		op.Failures, op.LockedUntil = 0, time.Time{}
		t.doc.Operators[id] = op
		if err := t.save(""); err != nil {
			return err
		}
	}
	if op.MustChange {
		return fmt.Errorf("operator %s: %w", id, ErrMustChange)
	}
	return nil
}

// MustChange reports whether id must change its password before working.
func (t *Table) MustChange(id ID) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.doc.Operators[id].MustChange
}

// CheckPolicy checks a new password for id against the policy.
func (t *Table) CheckPolicy(id ID, password string) error {
	want := t.pol.OperatorLen
	if id == Supervisor {
		want = t.pol.SupervisorLen
	}
	if len(password) != want {
		return &WeakError{Reason: fmt.Sprintf("%d digits, want %d", len(password), want)}
	}
	same, up, down := true, true, true
	for i := 0; i < len(password); i++ {
		c := password[i]
		if c < '0' || c > '9' {
			return &WeakError{Reason: "digits only"}
		}
		if i > 0 {
			p := password[i-1]
			same = same && c == p
			up = up && c == p+1
			down = down && c+1 == p
		}
	}
	switch {
	case same:
		return &WeakError{Reason: "all digits the same"}
	case up || down:
		return &WeakError{Reason: "consecutive digits"}
	case id == Supervisor && password == DefaultSupervisorPassword, password == DefaultOperatorPassword:
		return &WeakError{Reason: "the factory default"}
	}
	return nil
}

// SetPassword changes id's password after checking the old one.
func (t *Table) SetPassword(id ID, old, password string) error {
	if err := t.Verify(id, old); err != nil && !errors.Is(err, ErrMustChange) {
		return err
	}
	return t.set(id, password, false, fmt.Sprintf("operator %s changed password", id))
}

func (t *Table) set(id ID, password string, mustChange bool, detail string) error {
	if err := t.CheckPolicy(id, password); err != nil && !mustChange {
		return err
	}
	op, err := newOperator(password)
	if err != nil {
		return err
	}
	op.MustChange = mustChange
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.doc.Operators[id]; !ok {
		return fmt.Errorf("operator %s: %w", id, ErrUnknown)
	}
	t.doc.Operators[id] = op
	return t.save(detail)
}

// Reset sets id's password back to the factory default, to be changed at its next
// use, on the supervisor's authority.
func (t *Table) Reset(id ID) error {
	pw := DefaultOperatorPassword
	if id == Supervisor {
		pw = DefaultSupervisorPassword
	}
	return t.set(id, pw, true, fmt.Sprintf("supervisor reset operator %s", id))
}

// Add creates operator id (01–99) with a password, on the supervisor's authority.
func (t *Table) Add(id ID, password string) error {
	if len(id) != 2 || id == Supervisor || id[0] < '0' || id[0] > '9' || id[1] < '0' || id[1] > '9' {
		return fmt.Errorf("operator %q: want 01-99: %w", id, ErrUnknown)
	}
	if err := t.CheckPolicy(id, password); err != nil {
		return err
	}
	op, err := newOperator(password)
	if err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.doc.Operators[id]; ok {
		return fmt.Errorf("operator %s: %w", id, ErrExists)
	}
	t.doc.Operators[id] = op
	return t.save(fmt.Sprintf("supervisor added operator %s", id))
}

// Remove deletes operator id (not the supervisor), on the supervisor's authority.
func (t *Table) Remove(id ID) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.doc.Operators[id]; !ok || id == Supervisor {
		return fmt.Errorf("operator %s: %w", id, ErrUnknown)
	}
	delete(t.doc.Operators, id)
	return t.save(fmt.Sprintf("supervisor removed operator %s", id))
}

// IDs lists the operators, supervisor first.
func (t *Table) IDs() []ID {
	t.mu.Lock()
	defer t.mu.Unlock()
	ids := make([]ID, 0, len(t.doc.Operators))
	for id := range t.doc.Operators {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}
