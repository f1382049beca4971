package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"countertop/store"
)

// buildPosd builds the daemon as `make run` does (no pcsc tag).
func buildPosd(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "posd")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// screen collects what posd draws and lets the test wait for text.
type screen struct {
	mu   chan struct{}
	buf  bytes.Buffer
	seen chan struct{}
}

func watch(r io.Reader) *screen {
	s := &screen{mu: make(chan struct{}, 1), seen: make(chan struct{}, 1)}
	go func() {
		br := bufio.NewReader(r)
		chunk := make([]byte, 4096)
		for {
			n, err := br.Read(chunk)
			s.mu <- struct{}{}
			s.buf.Write(chunk[:n])
			<-s.mu
			select {
			case s.seen <- struct{}{}:
			default:
			}
			if err != nil {
				return
			}
		}
	}()
	return s
}

// waitFor waits until text appears after the last clear-screen posd drew.
func (s *screen) waitFor(t *testing.T, ctx context.Context, text string) {
	t.Helper()
	for {
		s.mu <- struct{}{}
		all := s.buf.String()
		<-s.mu
		last := all[strings.LastIndex(all, "\x1b[2J")+1:]
		if strings.Contains(last, text) {
			return
		}
		select {
		case <-s.seen:
		case <-ctx.Done():
			t.Fatalf("posd never showed %q; last screen:\n%s", text, last)
		}
	}
}

// TestSaleThroughTheConsole runs the real daemon as `make run` does, makes a sale by
// typing on its console, and stops it with SIGTERM: it must exit 0 with the sale
// journaled and no card number in its log.
func TestSaleThroughTheConsole(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs posd")
	}
	bin := buildPosd(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "journal.db")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-set", "journal.path="+db, "-set", "terminal.tear_off_timeout=60s")
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	scr := watch(stdout)
	typeKeys := func(keys string) { io.WriteString(stdin, keys) }

	// A new terminal: the factory supervisor password must be replaced first.
	scr.waitFor(t, ctx, "修改主管密码")
	typeKeys("314159\r")
	scr.waitFor(t, ctx, "请再次输入新密码")
	typeKeys("314159\r")
	scr.waitFor(t, ctx, "密码修改成功")
	typeKeys("\r")
	scr.waitFor(t, ctx, "已签到")
	typeKeys("m")
	scr.waitFor(t, ctx, "1.消费")
	typeKeys("1")
	scr.waitFor(t, ctx, "请输入金额")
	typeKeys("2000\r")
	scr.waitFor(t, ctx, "RMB 20.00")
	typeKeys("s")
	scr.waitFor(t, ctx, "Swipe which test card?")
	typeKeys("2") // cup-debit: magstripe cards come first, in name order
	scr.waitFor(t, ctx, "ZHANG/SAN")
	typeKeys("\r")
	scr.waitFor(t, ctx, "PIN pad:")
	typeKeys("123456\r")
	scr.waitFor(t, ctx, "请撕小票")
	typeKeys("\r")
	scr.waitFor(t, ctx, "交易成功")
	scr.waitFor(t, ctx, "持卡人存根")

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("posd did not exit cleanly on SIGTERM: %v\n%s", err, stderr.String())
	}
	j, err := store.Open(db, &store.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	rec, err := j.Last()
	if err != nil {
		t.Fatal(err)
	}
	if rec.State != store.Approved || rec.Amount.Minor != 2000 || rec.RespCode != "00" || !rec.Printed {
		t.Errorf("journal record = %+v", rec)
	}
	log, err := os.ReadFile(filepath.Join(dir, "posd.log"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(log), "posd stopped") {
		t.Errorf("log has no clean stop:\n%s", log)
	}
	if strings.Contains(string(log), "6222021234567890128") {
		t.Error("the log contains the full card number")
	}
}

// A corrupted journal: posd takes no payments, says so on the terminal's screen, and
// leaves the file exactly as it was.
func TestCorruptJournalStopsPayments(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs posd")
	}
	bin := buildPosd(t)
	db := filepath.Join(t.TempDir(), "journal.db")
	garbage := bytes.Repeat([]byte("not a journal "), 2000)
	if err := os.WriteFile(db, garbage, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-set", "journal.path="+db)
	stdin, _ := cmd.StdinPipe()
	defer stdin.Close()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	scr := watch(stdout)
	scr.waitFor(t, ctx, "存储故障")
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err == nil {
		t.Error("posd exited 0 with a corrupted journal")
	}
	if b, _ := os.ReadFile(db); !bytes.Equal(b, garbage) {
		t.Error("the corrupted journal was changed")
	}
}
