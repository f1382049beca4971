package main

import (
	"bufio"
	"net"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"

	"countertop/internal/acquirer"
	"countertop/internal/keys"
	"countertop/internal/txtype"
	"countertop/iso8583"
	"countertop/iso8583/frame"
)

// startSim builds the command and runs it with args on a free port; it returns the
// address it listens on, the process, and its stderr lines.
func startSim(t *testing.T, args ...string) (string, *exec.Cmd, chan string) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := filepath.Join(t.TempDir(), "acquirer-sim")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, append([]string{"-listen", "127.0.0.1:0"}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	addrRE := regexp.MustCompile(`acquirer listening" addr=(127\.0\.0\.1:\d+)`)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("acquirer-sim exited before listening")
			}
			if m := addrRE.FindStringSubmatch(l); m != nil {
				return m[1], cmd, lines
			}
		case <-time.After(5 * time.Second):
			t.Fatal("acquirer-sim did not report its address")
		}
	}
}

// exchange sends req to addr in dialect d (no MAC) and returns the reply.
func exchange(t *testing.T, addr string, d *iso8583.Dialect, req iso8583.Request) iso8583.Reply {
	t.Helper()
	msg, err := d.Build(req)
	if err != nil {
		t.Fatal(err)
	}
	body, err := d.Pack(msg, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := frame.Write(c, frame.Frame{TPDU: d.TPDU, Header: d.Header, Body: body}); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	f, err := frame.Read(c, 4096)
	if err != nil {
		t.Fatalf("read %s reply: %v", req.Type, err)
	}
	rmsg, err := d.Unpack(f.Body)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := d.ParseReply(rmsg)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

var simTerminal = iso8583.Terminal{TerminalID: "10000001", MerchantID: "898100012340001"}

// TestProcess runs the command, makes an echo exchange over TCP and stops it with
// SIGTERM.
func TestProcess(t *testing.T) {
	addr, cmd, lines := startSim(t, "-rules", "../../testdata/acquirer/rules.json", "-v")
	rep := exchange(t, addr, iso8583.CUP, iso8583.Request{Type: txtype.Echo, STAN: 9, Batch: 1, Terminal: simTerminal})
	if rep.RespCode != "00" {
		t.Fatalf("echo reply %q", rep.RespCode)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	go func() {
		for range lines {
		}
	}()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("acquirer-sim did not stop on SIGTERM")
	}
}

// With -dialect cup-sm4 the simulator signs terminals in with SM4 working keys
// under the SM4 reading of the TMK.
func TestProcessSM4(t *testing.T) {
	addr, _, _ := startSim(t, "-dialect", "cup-sm4")
	rep := exchange(t, addr, iso8583.CUPSM4, iso8583.Request{Type: txtype.SignIn, STAN: 1, Batch: 1, Operator: "01", Terminal: simTerminal})
	if rep.RespCode != "00" {
		t.Fatalf("sign-in reply %q", rep.RespCode)
	}
	tmk, err := keys.ParseHexSM4Key(acquirer.TestTMK)
	if err != nil {
		t.Fatal(err)
	}
	wk, err := keys.ParseWorkingKeys(rep.Field62, tmk)
	if err != nil || wk.PIK.Kind() != keys.KindSM4 {
		t.Fatalf("sign-in keys under the SM4 TMK: %v (pik %s)", err, wk.PIK.Kind())
	}
}

// A dialect the simulator does not know stops it with a clear error.
func TestUnknownDialect(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the command")
	}
	out, err := exec.Command("go", "run", ".", "-dialect", "visa").CombinedOutput()
	if err == nil || !regexp.MustCompile(`-dialect "visa": not cup or cup-sm4`).Match(out) {
		t.Errorf("acquirer-sim -dialect visa: %v\n%s", err, out)
	}
}
