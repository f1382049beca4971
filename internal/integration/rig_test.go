//go:build pcsc

package integration

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ebfe/scard"

	"countertop/hal/pcsc/pcscdtest"
	"countertop/store"
)

// Packages the tests need; make test installs them.
const aptPackages = "pcscd libpcsclite-dev pkg-config vsmartcard-vpcd gcc"

var (
	vpcdAddr   = "127.0.0.1:" + cmp.Or(os.Getenv("COUNTERTOP_VPCD_PORT"), "31963")
	readerName = cmp.Or(os.Getenv("COUNTERTOP_READER"), "Virtual PCD 00 00")
)

var (
	setupErr error // why the stack is unusable
	bins     struct{ posd, devsim, acquirer string }
)

// TestMain starts pcscd when none runs (and stops it at the end) and builds posd
// (-tags pcsc), devsim and acquirer-sim once.
func TestMain(m *testing.M) {
	root, _ := filepath.Abs(filepath.Join("..", ".."))
	stack, err := pcscdtest.Start(root)
	setupErr = err
	dir, err := os.MkdirTemp("", "countertop-integration-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if setupErr == nil {
		setupErr = build(root, dir)
	}
	code := m.Run()
	os.RemoveAll(dir)
	if err := stack.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}

// build compiles the three binaries in parallel, within two minutes.
func build(root, dir string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	bins.posd = filepath.Join(dir, "posd")
	bins.devsim = filepath.Join(dir, "devsim")
	bins.acquirer = filepath.Join(dir, "acquirer-sim")
	jobs := [][]string{
		{"build", "-tags", "pcsc", "-o", bins.posd, "./cmd/posd"},
		{"build", "-o", bins.devsim, "./cmd/devsim"},
		{"build", "-o", bins.acquirer, "./cmd/acquirer-sim"},
	}
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	for i, args := range jobs {
		wg.Go(func() {
			cmd := exec.CommandContext(ctx, "go", args...)
			cmd.Dir = root
			if out, err := cmd.CombinedOutput(); err != nil {
				errs[i] = fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// needStack fails the test when the stack is missing, unless COUNTERTOP_SKIP_PCSC=1.
func needStack(t testing.TB) {
	t.Helper()
	if setupErr == nil {
		return
	}
	if os.Getenv("COUNTERTOP_SKIP_PCSC") == "1" {
		t.Skipf("COUNTERTOP_SKIP_PCSC=1: %v", setupErr)
	}
	t.Fatalf("integration stack unusable: %v\nRun `make test`, which installs it (apt-get install -y %s) "+
		"and starts pcscd, or set COUNTERTOP_SKIP_PCSC=1 to skip.", setupErr, aptPackages)
}

// stop ends a process started by a test: SIGTERM, then SIGKILL after 5 s.
func stop(cmd *exec.Cmd, done <-chan struct{}) {
	if cmd.Process == nil {
		return
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		cmd.Process.Kill()
		<-done
	}
}

// waitReaderEmpty waits until pcscd reports the reader's slot empty: a card that an
// earlier test's devsim took away stays "present" until vpcd's next presence poll
// (about 400 ms), and a posd started meanwhile would see it inserted.
func waitReaderEmpty(t testing.TB) {
	t.Helper()
	c, err := scard.EstablishContext()
	if err != nil {
		t.Fatalf("pc/sc: %v", err)
	}
	defer c.Release()
	rs := []scard.ReaderState{{Reader: readerName, CurrentState: scard.StateUnaware}}
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := c.GetStatusChange(rs, time.Until(deadline))
		if err != nil {
			t.Fatalf("reader %q never became empty: %v (state %#x)", readerName, err, uint32(rs[0].EventState))
		}
		st := rs[0].EventState
		if st&(scard.StateUnknown|scard.StateUnavailable) != 0 {
			t.Fatalf("reader %q unavailable (is vpcd on %s?)", readerName, vpcdAddr)
		}
		if st&scard.StateEmpty != 0 {
			return
		}
		rs[0].CurrentState = st &^ scard.StateChanged
	}
}

// --- acquirer-sim ---

var listenRE = regexp.MustCompile(`acquirer listening"? addr=(127\.0\.0\.1:\d+)`)

// startAcquirer runs acquirer-sim on a free loopback port and returns its address.
func startAcquirer(t *testing.T) string {
	t.Helper()
	cmd := exec.Command(bins.acquirer, "-listen", "127.0.0.1:0")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	addr := make(chan string, 1)
	var log bytes.Buffer
	var mu sync.Mutex
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			mu.Lock()
			log.WriteString(sc.Text() + "\n")
			mu.Unlock()
			if m := listenRE.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
		cmd.Wait()
		close(done)
	}()
	t.Cleanup(func() {
		stop(cmd, done)
		if t.Failed() {
			mu.Lock()
			t.Logf("acquirer-sim log:\n%s", log.String())
			mu.Unlock()
		}
	})
	select {
	case a := <-addr:
		return a
	case <-done:
		t.Fatalf("acquirer-sim exited at start:\n%s", log.String())
	case <-time.After(10 * time.Second):
		t.Fatal("acquirer-sim did not listen within 10 s")
	}
	return ""
}

// --- devsim ---

// devsim is the devsim process: the cardholder's side.
type devsim struct {
	t     *testing.T
	stdin io.WriteCloser
	lines chan string
	state struct {
		Printer, Magstripe, PINPad string
	}
	slips string // directory of cut slips

	mu     sync.Mutex
	events []string
	out    []string
}

func startDevsim(t *testing.T, dir string) *devsim {
	t.Helper()
	d := &devsim{t: t, lines: make(chan string, 256), slips: filepath.Join(dir, "slips")}
	statePath := filepath.Join(dir, "devsim.json")
	cmd := exec.Command(bins.devsim, "-vpcd", vpcdAddr, "-state", statePath, "-slips", d.slips)
	var err error
	if d.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			l := sc.Text()
			d.mu.Lock()
			d.out = append(d.out, l)
			if strings.HasPrefix(l, "event ") {
				d.events = append(d.events, l)
			}
			d.mu.Unlock()
			if !strings.HasPrefix(l, "event ") {
				d.lines <- l
			}
		}
		cmd.Wait()
		close(d.lines)
		close(done)
	}()
	t.Cleanup(func() {
		io.WriteString(d.stdin, "quit\n")
		d.stdin.Close()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("devsim did not quit within 5 s")
			stop(cmd, done)
		}
		if t.Failed() {
			d.mu.Lock()
			t.Logf("devsim output:\n%s\n%s", strings.Join(d.out, "\n"), stderr.String())
			d.mu.Unlock()
		}
	})
	d.wait("ready", 10*time.Second)
	b, err := os.ReadFile(statePath)
	if err != nil {
		t.Fatalf("devsim state: %v", err)
	}
	if err := json.Unmarshal(b, &d.state); err != nil {
		t.Fatalf("devsim state: %v", err)
	}
	return d
}

// wait reads devsim's answers until one starts with prefix.
func (d *devsim) wait(prefix string, within time.Duration) string {
	d.t.Helper()
	deadline := time.After(within)
	for {
		select {
		case l, ok := <-d.lines:
			if !ok {
				d.t.Fatalf("devsim stopped before %q", prefix)
			}
			if strings.HasPrefix(l, prefix) {
				return l
			}
			if strings.HasPrefix(l, "error:") {
				d.t.Fatalf("devsim: %s (waiting for %q)", l, prefix)
			}
		case <-deadline:
			d.t.Fatalf("devsim: no %q within %v", prefix, within)
		}
	}
}

// do runs one devsim command and requires its "ok".
func (d *devsim) do(command string) {
	d.t.Helper()
	if _, err := io.WriteString(d.stdin, command+"\n"); err != nil {
		d.t.Fatalf("devsim %s: %v", command, err)
	}
	d.wait("ok", 10*time.Second)
}

// event waits until devsim has printed an event line starting with prefix.
func (d *devsim) event(prefix string, within time.Duration) {
	d.t.Helper()
	deadline := time.Now().Add(within)
	for {
		d.mu.Lock()
		for _, e := range d.events {
			if strings.HasPrefix(e, prefix) {
				d.mu.Unlock()
				return
			}
		}
		d.mu.Unlock()
		if time.Now().After(deadline) {
			d.t.Fatalf("devsim: no event %q within %v", prefix, within)
		}
		time.Sleep(20 * time.Millisecond) // polling devsim's output, bounded by deadline
	}
}

// slipTexts returns the slips the printer cut, in order.
func (d *devsim) slipTexts() []string {
	d.t.Helper()
	files, err := filepath.Glob(filepath.Join(d.slips, "slip-*.txt"))
	if err != nil {
		d.t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			d.t.Fatal(err)
		}
		out = append(out, string(b))
	}
	return out
}

// --- posd ---

// posd is the daemon, driven through its console.
type posd struct {
	t      *testing.T
	stdin  io.WriteCloser
	cmd    *exec.Cmd
	done   chan struct{}
	db     string
	logf   string
	stderr *bytes.Buffer

	mu   sync.Mutex
	out  bytes.Buffer
	mark int // output before mark was seen before the last input
	seen chan struct{}
}

type setup struct {
	acquirer string
	dev      *devsim
	pinpad   bool // the PIN pad on devsim's pty (else posd's in-process simulator)
}

func startPosd(t *testing.T, dir string, s setup) *posd {
	t.Helper()
	p := &posd{t: t, db: filepath.Join(dir, "journal.db"), logf: filepath.Join(dir, "posd.log"),
		stderr: &bytes.Buffer{}, seen: make(chan struct{}, 1), done: make(chan struct{})}
	pad := ""
	if s.pinpad {
		pad = fmt.Sprintf("pinpad = \"serial\"\npinpad_port = %q\n", s.dev.state.PINPad)
	}
	cfg := fmt.Sprintf(`[terminal]
slip_copies = 1
tear_off_timeout = "60s"
result_timeout = "60s"
input_timeout = "60s"

[host]
mode = "tcp"
addr = %q
connect_timeout = "5s"
response_timeout = "10s"

[journal]
path = %q

[devices]
card_reader = "pcsc"
reader_pattern = %q
printer = "serial"
printer_port = %q
magstripe = "serial"
magstripe_device = %q
%s
[log]
level = "debug"
file = %q

[risk.business_hours]
enabled = false
`, s.acquirer, p.db, readerName, s.dev.state.Printer, s.dev.state.Magstripe, pad, p.logf)
	cfgPath := filepath.Join(dir, "posd.toml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	p.cmd = exec.Command(bins.posd, "-config", cfgPath)
	var err error
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		chunk := make([]byte, 4096)
		for {
			n, err := stdout.Read(chunk)
			p.mu.Lock()
			p.out.Write(chunk[:n])
			p.mu.Unlock()
			select {
			case p.seen <- struct{}{}:
			default:
			}
			if err != nil {
				break
			}
		}
		p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		stop(p.cmd, p.done)
		if t.Failed() {
			p.mu.Lock()
			os.WriteFile(filepath.Join(os.TempDir(), "posd-console-"+strings.ReplaceAll(t.Name(), "/", "_")+".txt"), p.out.Bytes(), 0o644)
			p.mu.Unlock()
			log, _ := os.ReadFile(p.logf)
			t.Logf("posd stderr:\n%s\nposd log:\n%s", p.stderr.String(), log)
		}
	})
	return p
}

// keys types on posd's console.
func (p *posd) keys(s string) {
	p.t.Helper()
	p.mu.Lock()
	p.mark = p.out.Len()
	p.mu.Unlock()
	if _, err := io.WriteString(p.stdin, s); err != nil {
		p.t.Fatalf("type %q: %v", s, err)
	}
}

// since returns what posd drew after the last input.
func (p *posd) since() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return string(p.out.Bytes()[p.mark:])
}

// lastScreen is the text after the last clear-screen.
func (p *posd) lastScreen() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	all := p.out.String()
	return all[strings.LastIndex(all, "\x1b[2J")+1:]
}

// waitFor waits until posd has drawn text since the last input.
func (p *posd) waitFor(text string, within time.Duration) {
	p.t.Helper()
	if _, ok := p.waitAny(within, text); !ok {
		p.t.Fatalf("posd never showed %q within %v; output since the last input:\n%q\nlast screen:\n%s", text, within, p.since(), p.lastScreen())
	}
}

// waitAny waits until one of texts appears since the last input and returns it.
func (p *posd) waitAny(within time.Duration, texts ...string) (string, bool) {
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	for {
		s := p.since()
		for _, text := range texts {
			if strings.Contains(s, text) {
				return text, true
			}
		}
		select {
		case <-p.seen:
		case <-p.done:
			s := p.since()
			for _, text := range texts {
				if strings.Contains(s, text) {
					return text, true
				}
			}
			p.t.Fatalf("posd exited while waiting for %q: %v\n%s", texts, p.cmd.ProcessState, p.stderr.String())
		case <-deadline.C:
			return "", false
		}
	}
}

// signIn changes the factory supervisor password and waits for the signed-in idle
// screen, as cmd/posd's own test does.
func (p *posd) signIn() {
	p.t.Helper()
	p.waitFor("修改主管密码", 20*time.Second)
	p.keys("314159\r")
	p.waitFor("请再次输入新密码", 5*time.Second)
	p.keys("314159\r")
	p.waitFor("密码修改成功", 5*time.Second)
	p.keys("\r")
	p.waitFor("已签到", 15*time.Second)
}

// sale starts a sale of amount (digits, in fen) from the idle screen.
func (p *posd) sale(amount, shown string) {
	p.t.Helper()
	p.keys("m")
	p.waitFor("1.消费", 5*time.Second)
	p.keys("1")
	p.waitFor("请输入金额", 5*time.Second)
	p.keys(amount + "\r")
	p.waitFor(shown, 5*time.Second)
}

// quit stops posd with SIGTERM and opens its journal read-only.
func (p *posd) quit() *store.DB {
	p.t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.t.Fatal("posd did not stop within 10 s of SIGTERM")
	}
	if !p.cmd.ProcessState.Success() {
		p.t.Errorf("posd exit: %v\n%s", p.cmd.ProcessState, p.stderr.String())
	}
	j, err := store.Open(p.db, &store.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		p.t.Fatalf("open the journal read-only: %v", err)
	}
	p.t.Cleanup(func() { j.Close() })
	return j
}

// records returns the journal's records, oldest first.
func records(t *testing.T, j *store.DB) []store.Record {
	t.Helper()
	rs, err := j.List(store.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for i, k := 0, len(rs)-1; i < k; i, k = i+1, k-1 {
		rs[i], rs[k] = rs[k], rs[i]
	}
	return rs
}

// logHasNo fails when posd's log holds one of the clear values.
func (p *posd) logHasNo(secrets ...string) {
	p.t.Helper()
	log, err := os.ReadFile(p.logf)
	if err != nil {
		p.t.Fatal(err)
	}
	for _, s := range secrets {
		if strings.Contains(string(log), s) {
			p.t.Errorf("posd's log holds %s…", s[:6])
		}
	}
}
