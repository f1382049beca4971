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

	"countertop/internal/txtype"
	"countertop/iso8583"
	"countertop/iso8583/frame"
)

// TestProcess builds the command, runs it on a free port, makes an echo exchange
// over TCP and stops it with SIGTERM.
func TestProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := filepath.Join(t.TempDir(), "acquirer-sim")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "-listen", "127.0.0.1:0", "-rules", "../../testdata/acquirer/rules.json", "-v")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	addrRE := regexp.MustCompile(`acquirer listening" addr=(127\.0\.0\.1:\d+)`)
	var addr string
	for addr == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("acquirer-sim exited before listening")
			}
			if m := addrRE.FindStringSubmatch(l); m != nil {
				addr = m[1]
			}
		case <-time.After(5 * time.Second):
			t.Fatal("acquirer-sim did not report its address")
		}
	}

	msg, err := iso8583.CUP.Build(iso8583.Request{Type: txtype.Echo, STAN: 9, Batch: 1,
		Terminal: iso8583.Terminal{TerminalID: "10000001", MerchantID: "898100012340001"}})
	if err != nil {
		t.Fatal(err)
	}
	body, err := iso8583.CUP.Pack(msg, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := frame.Write(c, frame.Frame{TPDU: iso8583.CUP.TPDU, Header: iso8583.CUP.Header, Body: body}); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	f, err := frame.Read(c, 4096)
	if err != nil {
		t.Fatalf("read echo reply: %v", err)
	}
	rmsg, err := iso8583.CUP.Unpack(f.Body)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := iso8583.CUP.ParseReply(rmsg)
	if err != nil || rep.RespCode != "00" {
		t.Fatalf("echo reply %q, %v", rep.RespCode, err)
	}
	c.Close()

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
