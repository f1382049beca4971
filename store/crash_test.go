package store_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"countertop/internal/txtype"
	"countertop/store"
	"countertop/store/storetest"
)

// crashEnv names the journal a re-executed test binary writes to until it is killed.
const crashEnv = "COUNTERTOP_STORE_CRASH_CHILD"

// TestCrashKillsWriter runs Begin/Finish loops in a child process, SIGKILLs it at
// random moments (200 times, 30 with -short), and after each kill reopens the journal
// and checks what a power-cut-safe journal promises: nothing the child acknowledged is
// lost, no ID or STAN is handed out twice, at most one reversal is pending and it
// belongs to a transaction that did not finish cleanly, and the indexes agree (Check).
//
// SIGKILL loses the process, not the page cache: this proves the commit protocol is
// atomic, not that fsync reaches the platter. Power loss needs a dm-flakey or LazyFS
// run like bbolt's tests/robustness.
func TestCrashKillsWriter(t *testing.T) {
	if path := os.Getenv(crashEnv); path != "" {
		crashChild(path)
		return
	}
	kills := 200
	if testing.Short() {
		kills = 30
	}
	path := filepath.Join(t.TempDir(), "journal.db")
	m := newCrashModel()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	for k := range kills {
		out, err := runAndKill(t, path, rng)
		if err != nil {
			t.Fatalf("kill %d: %v", k+1, err)
		}
		m.read(out)
		m.verify(t, path)
	}
	L, R, D := len(m.lost), len(m.reused), len(m.double)
	t.Logf("crash test: %d kills, %d lost, %d reused counters, %d double reversals", kills, L, R, D)
	if L != 0 || R != 0 || D != 0 {
		t.Errorf("lost %v; reused %v; double reversals %v", keys(m.lost), keys(m.reused), keys(m.double))
	}
	if m.acks < kills {
		t.Errorf("only %d transactions acknowledged over %d kills: the kills came too early to test much", m.acks, kills)
	}
}

// runAndKill starts a child, kills it at a random moment and returns its complete
// output lines.
func runAndKill(t *testing.T, path string, rng *rand.Rand) ([]string, error) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashKillsWriter$")
	cmd.Env = append(os.Environ(), crashEnv+"="+path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	var lines []string
	ready := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		br := bufio.NewReader(stdout)
		once := sync.OnceFunc(func() { close(ready) })
		for {
			line, err := br.ReadString('\n')
			if err != nil { // a torn last line is not an acknowledgement
				once()
				return
			}
			line = strings.TrimSuffix(line, "\n")
			lines = append(lines, line)
			if line == "ready" {
				once()
			}
		}
	}()
	// One kill in ten lands anywhere from exec to the first commits (Open included);
	// the rest a random time into the Begin/Finish loop.
	if rng.IntN(10) == 0 {
		time.Sleep(time.Duration(rng.IntN(30)) * time.Millisecond)
	} else {
		select {
		case <-ready:
		case <-time.After(10 * time.Second):
		}
		time.Sleep(time.Duration(rng.IntN(15000)) * time.Microsecond)
	}
	killErr := cmd.Process.Signal(syscall.SIGKILL)
	<-done
	err = cmd.Wait()
	var ee *exec.ExitError
	if killErr != nil || !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		return nil, fmt.Errorf("child did not die by SIGKILL (%v, %v): %s", killErr, err, stderr.Bytes())
	}
	return lines, nil
}

// crashChild is the writer: it acknowledges each step on stdout only after the call
// returned, as posd would tell the merchant.
func crashChild(path string) {
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "crash child:", err)
		os.Exit(2)
	}
	db, err := store.Open(path, &store.Options{Timeout: 5 * time.Second})
	if err != nil {
		fail(err)
	}
	fmt.Println("ready")
	// The reversal left by the previous kill goes out first.
	if p, ok, err := db.PendingReversal(); err != nil {
		fail(err)
	} else if ok {
		if err := db.ReversalDone(p.ID); err != nil {
			fail(err)
		}
		fmt.Println("revdone", p.ID)
	}
	rng := rand.New(rand.NewPCG(uint64(os.Getpid()), uint64(time.Now().UnixNano())))
	for {
		switch n := rng.IntN(100); {
		case n < 10:
			s, err := db.NextSTAN()
			if err != nil {
				fail(err)
			}
			fmt.Println("stan", s)
		case n < 12:
			b, err := db.Batch()
			if err != nil {
				fail(err)
			}
			if err := db.SetBatch(b + 1); err != nil {
				fail(err)
			}
		}
		r := storetest.Sale(rng.Int64N(100000) + 1)
		if rng.IntN(10) == 0 {
			r.Type = txtype.Balance
			r.Amount.Minor = 0
		}
		if err := db.Begin(r); err != nil {
			fail(err)
		}
		fmt.Println("begin", r.ID, r.STAN)
		r.State, r.RRN, r.AuthCode, r.RespCode = store.Approved, fmt.Sprintf("%012d", r.ID), "123456", "00"
		if r.Type.Financial() && rng.IntN(5) == 0 { // the reply failed its MAC check
			r.ReversalReason = "A0"
			if err := db.Finish(r); err != nil {
				fail(err)
			}
			fmt.Println("ackrev", r.ID)
			if err := db.ReversalDone(r.ID); err != nil {
				fail(err)
			}
			fmt.Println("revdone", r.ID)
			continue
		}
		r.ReversalReason = ""
		if err := db.Finish(r); err != nil {
			fail(err)
		}
		fmt.Println("ack", r.ID)
	}
}

// crashModel is what the children acknowledged, and the violations found so far.
type crashModel struct {
	begun  map[uint64]txtype.STAN // id → STAN, from "begin"
	acked  map[uint64]string      // id → last acknowledgement: ack, ackrev, revdone
	stans  map[txtype.STAN]int    // every acknowledged STAN (records and NextSTAN) → uses
	acks   int
	lost   map[string]bool
	reused map[string]bool
	double map[string]bool
}

func newCrashModel() *crashModel {
	return &crashModel{begun: map[uint64]txtype.STAN{}, acked: map[uint64]string{},
		stans: map[txtype.STAN]int{}, lost: map[string]bool{}, reused: map[string]bool{},
		double: map[string]bool{}}
}

func (m *crashModel) read(lines []string) {
	for _, line := range lines {
		f := strings.Fields(line)
		num := func(i int) uint64 { // decimal: "000453" is not octal here
			n, _ := strconv.ParseUint(f[i], 10, 64)
			return n
		}
		switch {
		case len(f) == 3 && f[0] == "begin":
			id, stan := num(1), uint32(num(2))
			if _, dup := m.begun[id]; dup {
				m.reused[fmt.Sprintf("id %d", id)] = true
			}
			m.begun[id] = txtype.STAN(stan)
			m.useSTAN(txtype.STAN(stan))
		case len(f) == 2 && f[0] == "stan":
			m.useSTAN(txtype.STAN(num(1)))
		case len(f) == 2 && (f[0] == "ack" || f[0] == "ackrev" || f[0] == "revdone"):
			m.acked[num(1)] = f[0]
			m.acks++
		}
	}
}

// useSTAN notes a STAN handed out. No test run gets near 999999, so every STAN must
// be new.
func (m *crashModel) useSTAN(s txtype.STAN) {
	m.stans[s]++
	if m.stans[s] > 1 {
		m.reused[fmt.Sprintf("stan %v", s)] = true
	}
}

func (m *crashModel) verify(t *testing.T, path string) {
	t.Helper()
	db, err := store.Open(path, &store.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("reopen after kill: %v", err)
	}
	if err := db.Check(); err != nil {
		t.Fatalf("check after kill: %v", err)
	}
	recs, err := db.List(store.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	interrupted, err := db.Interrupted()
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	byID := map[uint64]store.Record{}
	seen := map[[2]uint32]uint64{}
	for _, r := range recs {
		byID[r.ID] = r
		v := [2]uint32{uint32(r.Batch), uint32(r.STAN)}
		if other, dup := seen[v]; dup {
			m.reused[fmt.Sprintf("voucher %v/%v (records %d, %d)", r.Batch, r.STAN, other, r.ID)] = true
		}
		seen[v] = r.ID
		if _, acked := m.begun[r.ID]; !acked && m.stans[r.STAN] > 0 {
			// Begun but killed before "begin" was printed, yet its STAN was acknowledged
			// elsewhere: handed out twice.
			m.reused[fmt.Sprintf("stan %v (record %d)", r.STAN, r.ID)] = true
		}
	}
	for id, stan := range m.begun {
		r, ok := byID[id]
		switch {
		case !ok:
			m.lost[fmt.Sprintf("begun %d", id)] = true
		case r.STAN != stan:
			m.reused[fmt.Sprintf("record %d stan %v, acknowledged %v", id, r.STAN, stan)] = true
		}
	}
	for id, ack := range m.acked {
		r := byID[id]
		var ok bool
		switch ack {
		case "ack":
			ok = r.State == store.Approved && r.ReversalReason == ""
		case "ackrev":
			ok = r.ReversalReason == "A0" && (r.State == store.Approved || r.State == store.Reversed)
		case "revdone":
			ok = r.State == store.Reversed
		}
		if !ok {
			m.lost[fmt.Sprintf("%s %d (found %v %q)", ack, id, r.State, r.ReversalReason)] = true
		}
	}
	// Count the reversal bucket directly: the API can only show one.
	b, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var pending []uint64
	b.View(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("reversal")).ForEach(func(k, _ []byte) error {
			pending = append(pending, bytesID(k))
			return nil
		})
	})
	b.Close()
	if len(pending) > 1 {
		m.double[fmt.Sprintf("%d pending %v", len(pending), pending)] = true
	}
	pendingSet := map[uint64]bool{}
	for _, id := range pending {
		pendingSet[id] = true
		r := byID[id]
		// Unfinished: no answer yet, or an answer that needs reversing (Finish with A0
		// committed, whether or not "ackrev" got out before the kill).
		unfinished := r.State == store.Pending || (r.ReversalReason != "" && r.State != store.Reversed)
		if !unfinished || m.acked[id] == "ack" || m.acked[id] == "revdone" {
			m.double[fmt.Sprintf("reversal pending for finished record %d (%v, %s)", id, r.State, m.acked[id])] = true
		}
	}
	// A financial transaction whose outcome is unknown must have its reversal pending.
	for _, r := range recs {
		if r.Type.Financial() && r.State == store.Pending && !pendingSet[r.ID] {
			m.lost[fmt.Sprintf("reversal of pending record %d", r.ID)] = true
		}
	}
	// Recovery at start (Interrupted) lists exactly the pending records and the
	// pending reversal: a financial one is reversed (never shown approved), an
	// acknowledged one is never listed.
	listed := map[uint64]store.Recovery{}
	for _, x := range interrupted {
		listed[x.Record.ID] = x.Action
		if m.acked[x.Record.ID] == "ack" || m.acked[x.Record.ID] == "revdone" {
			m.lost[fmt.Sprintf("acknowledged record %d listed as interrupted (%v)", x.Record.ID, x.Action)] = true
		}
	}
	for _, r := range recs {
		want, ok := store.Recovery(0), false
		switch {
		case pendingSet[r.ID]:
			want, ok = store.SendReversal, true
		case r.State == store.Pending && r.Type.Financial():
			want, ok = store.OutcomeUnknown, true
		case r.State == store.Pending:
			want, ok = store.MarkFailed, true
		}
		if got, listedOK := listed[r.ID]; ok != listedOK || got != want {
			m.lost[fmt.Sprintf("recovery of record %d (%v): %v, want %v", r.ID, r.State, got, want)] = true
		}
	}
}

func bytesID(k []byte) uint64 {
	var id uint64
	for _, c := range k {
		id = id<<8 | uint64(c)
	}
	return id
}

// keys lists a few of m's keys for the failure message.
func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		if len(out) == 10 {
			out = append(out, "...")
			break
		}
		out = append(out, k)
	}
	return out
}
