package archtest

import (
	"encoding/json"
	"io"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

const module = "countertop"

type pkg struct {
	ImportPath string
	Name       string
	Doc        string
	Imports    []string
	Deps       []string
}

// packages lists every package of the module, with the pcsc build tag so the tagged
// drivers are checked too.
func packages(t *testing.T) []pkg {
	t.Helper()
	out, err := exec.Command("go", "list", "-tags", "pcsc", "-json", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	var ps []pkg
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	if len(ps) < 40 {
		t.Fatalf("go list found only %d packages", len(ps))
	}
	return ps
}

func TestEveryPackageSaysWhatItOwns(t *testing.T) {
	for _, p := range packages(t) {
		want := "Package " + p.Name + " "
		if p.Name == "main" {
			want = "Command "
		}
		if !strings.HasPrefix(p.Doc, want) {
			t.Errorf("%s: package doc %q does not start with %q", p.ImportPath, p.Doc, want)
		}
	}
}

// rule forbids packages matching who from importing what matches banned (directly,
// or anywhere in their dependencies when deep is set).
type rule struct {
	who, banned string
	deep        bool
	why         string
}

const (
	drivers = `^countertop/hal/(sim|console|readers|pcsc|escpos|pinpad|msr|evdev|textdisplay)(/|$)`
	l0      = `^countertop/internal/(money|carddata|txtype|msgs)$`
)

var rules = []rule{
	{l0, `^countertop/`, false, "L0 packages import nothing of countertop"},
	{`^countertop/hal$`, `^countertop/(hal/|internal/(app|txn|store|hostlink|keys)|store|iso8583|emv)`, false,
		"hal declares interfaces and value types over L0 only"},
	{`^countertop/emv(/|$)`, `^countertop/(hal|store|internal/(txn|hostlink|app|terminal))(/|$)`, true,
		"the kernel declares its own Card and never reaches devices or the journal"},
	// crypto/x509 (the virtual card's PEM keys) brings net in as a dependency; the
	// emv tree itself never imports it.
	{`^countertop/emv(/|$)`, `^(net$|net/)`, false, "the kernel never touches the network"},
	{`^countertop/(iso8583|internal/keys)(/|$)`, `^(countertop/(hal|store|internal/(txn|hostlink|app))(/|$)|net$|net/)`, true,
		"message and key code is shared by the daemon, the simulator and posctl"},
	{`^countertop/store(/|$)`, `^(countertop/(hal|iso8583|internal/(txn|hostlink|app))(/|$)|net$|net/)`, true,
		"the journal knows nothing of devices, messages or the network"},
	{`^countertop/internal/txn$`, `^(net$|net/|go\.etcd\.io/bbolt|countertop/hal/)`, false,
		"the engine reaches the network through hostlink, bbolt through store, devices through hal"},
	{`^countertop/internal/app$`, `^(net$|net/|go\.etcd\.io/bbolt|countertop/(store|internal/hostlink|hal/))`, false,
		"the menus see keypad, display and the engine only"},
	{`^countertop/internal/(risk|selfcheck|fees)$`, `^(net$|net/|go\.etcd\.io/bbolt|countertop/(internal/(config|hostlink|txn)|hal/))`, false,
		"rules and checks take their inputs through small interfaces"},
	{`^countertop/internal/(risk|fees)$`, `^(countertop/hal(/|$)|net$)`, true,
		"alarm and fee rules never reach devices or the network, even indirectly"},
	{`^countertop/internal/selfcheck$`, `^(countertop/hal/|net$)`, true,
		"the self-check sees devices through hal's interfaces only, the host through an Echoer"},
	{`^countertop/internal/hostlink$`, `^countertop/(hal|store|internal/(txn|app|acquirer))(/|$)`, true,
		"the host link is one exchange, below the engine"},
	{`^countertop/internal/acquirer$`, `^countertop/(hal|store|internal/(hostlink|txn|app))(/|$)`, true,
		"the simulated host shares only the dialect and keys with the terminal"},
	{drivers, `^countertop/(store|internal/(txn|app|terminal|hostlink|acquirer))(/|$)`, false,
		"drivers and simulators implement hal and know nothing above it"},
	{`^countertop/hal/sim$`, `^(net$|net/)`, false, "the in-process simulators never touch the network"},
	{`^countertop/hal/pcsc/vpcd$`, `^github\.com/ebfe/scard`, true,
		"the card side of vpcd is pure Go (make run builds without libpcsclite)"},
	// Concrete drivers are chosen in cmd/ only; the scenario runner and the
	// integration suite run simulators, and a driver's simulator sits beside it.
	{`^countertop/(internal/(txn|app|terminal|config|hostlink|acquirer|risk|selfcheck|fees|operators|receipt|keys)|store|iso8583|emv)(/|$)`, drivers, false,
		"only cmd/ (and the scenario runner's simulators) wires concrete devices"},
}

// only allows packages matching who to import, besides the standard library,
// nothing but what matches allowed.
type only struct{ who, allowed, why string }

var allowLists = []only{
	{`^countertop/emv/(tlv|apdu|crypto|emvtest)$`, `^$`, "the kernel's leaves use the standard library only"},
	{`^countertop/emv/magstripe$`, `^countertop/internal/carddata$`, "track rules need the card data types and nothing else"},
	{`^countertop/emv/card$`, `^countertop/(emv/(tlv|apdu|crypto)|internal/cardprofile|testdata/emv)$`,
		"the virtual card never imports the kernel, hal, store or the network"},
	{`^countertop/emv$`, `^countertop/(emv/(tlv|apdu|emvtest)|internal/carddata)$`,
		"the kernel imports only its own leaves and the card data types"},
	{`^countertop/iso8583$`, `^(countertop/internal/(money|carddata|txtype|msgs)|github\.com/moov-io/iso8583(/.*)?)$`,
		"the dialect stands on moov-io/iso8583 and L0"},
	{`^countertop/iso8583/frame$`, `^$`, "framing is the standard library only"},
	{`^countertop/internal/keys$`, `^(countertop/internal/(money|carddata|txtype|msgs)|github\.com/emmansun/gmsm/.*)$`,
		"keys stand on gmsm and L0"},
	{`^countertop/hal/(evdev|textdisplay)$`, `^(countertop/hal|golang\.org/x/sys/.*)$`,
		"the console drivers use hal and Linux system calls only"},
	{`^countertop/hal/msr$`, `^(countertop/(hal|hal/evdev|internal/(carddata|money))|go\.bug\.st/serial)$`,
		"the magstripe driver: hal, the wedge's evdev, the serial port and the track types"},
	{`^countertop/hal/msr/msrsim$`, `^(countertop/(hal|hal/evdev|hal/internal/ptyserve|internal/(carddata|money))|github\.com/creack/pty|golang\.org/x/sys/.*)$`,
		"the magstripe simulator never imports the driver it tests"},
	{`^countertop/hal/escpos$`, `^(countertop/(hal|internal/(money|carddata))|go\.bug\.st/serial|golang\.org/x/text/.*)$`,
		"the printer driver: hal, the serial port and the GB18030 encoder"},
	{`^countertop/hal/escpos/escpossim$`, `^(countertop/(hal|hal/internal/ptyserve|internal/(money|carddata))|golang\.org/x/text/.*)$`,
		"the printer simulator never imports the driver it checks"},
	{`^countertop/hal/pinpad$`, `^(countertop/(hal|hal/pinpad/abecs|internal/(keys|money|carddata))|go\.bug\.st/serial)$`,
		"the PIN pad driver: hal, its protocol, keys and the serial port"},
	{`^countertop/hal/pinpad/abecs$`, `^countertop/(hal|internal/(money|carddata))$`,
		"the ABECS protocol imports neither the driver nor the simulator"},
	{`^countertop/hal/pinpad/pinpadsim$`, `^countertop/(hal/pinpad/abecs|hal/internal/ptyserve|internal/(keys|money|carddata))$`,
		"the PIN pad simulator never imports the driver it checks"},
	{`^countertop/hal/sim$`, `^countertop/(hal|internal/(carddata|keys|money))$`,
		"the in-process simulators implement hal over L0 and keys"},
	{`^countertop/internal/receipt$`, `^countertop/(hal|internal/(money|msgs|txtype|carddata))$`,
		"slips are text and images over hal and L0"},
}

func standard(path string) bool {
	return !strings.Contains(strings.SplitN(path, "/", 2)[0], ".") && !strings.HasPrefix(path, module)
}

func TestAllowLists(t *testing.T) {
	ps := packages(t)
	for _, o := range allowLists {
		who, allowed := regexp.MustCompile(o.who), regexp.MustCompile(o.allowed)
		matched := 0
		for _, p := range ps {
			if !who.MatchString(p.ImportPath) {
				continue
			}
			matched++
			for _, imp := range p.Imports {
				if !standard(imp) && !allowed.MatchString(imp) {
					t.Errorf("%s imports %s: %s", p.ImportPath, imp, o.why)
				}
			}
		}
		if matched == 0 {
			t.Errorf("allow-list %q matches no package: fix it", o.who)
		}
	}
}

func TestImportRules(t *testing.T) {
	ps := packages(t)
	for _, r := range rules {
		who, banned := regexp.MustCompile(r.who), regexp.MustCompile(r.banned)
		matched := 0
		for _, p := range ps {
			if !who.MatchString(p.ImportPath) {
				continue
			}
			matched++
			imports := p.Imports
			if r.deep {
				imports = p.Deps
			}
			for _, imp := range imports {
				if banned.MatchString(imp) && imp != p.ImportPath {
					t.Errorf("%s imports %s: %s", p.ImportPath, imp, r.why)
				}
			}
		}
		if matched == 0 {
			t.Errorf("rule %q matches no package: fix the rule", r.who)
		}
	}
}
