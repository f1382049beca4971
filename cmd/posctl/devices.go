package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"go.bug.st/serial/enumerator"

	"countertop/hal/escpos"
	"countertop/hal/msr"
	"countertop/hal/pinpad"
	"countertop/internal/config"
)

const devicesUsage = "usage: posctl devices [--json] [--config FILE] [--timeout DUR]"

// readerInfo is one PC/SC reader as `posctl devices` shows it.
type readerInfo struct {
	Name  string `json:"name"`
	State string `json:"state"` // "card present", "empty", "card mute", "unavailable"...
	ATR   string `json:"atr,omitempty"`
}

// portInfo is one serial port.
type portInfo struct {
	Name         string `json:"name"`
	USB          bool   `json:"usb"`
	VID          string `json:"vid,omitempty"`
	PID          string `json:"pid,omitempty"`
	SerialNumber string `json:"serial_number,omitempty"`
	Manufacturer string `json:"manufacturer,omitempty"`
	Product      string `json:"product,omitempty"`
}

// probe is the result of talking to one configured device.
type probe struct {
	Device string `json:"device"` // card_reader, magstripe, pinpad, printer
	Driver string `json:"driver"`
	Port   string `json:"port,omitempty"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

type devicesReport struct {
	Readers      []readerInfo `json:"pcsc_readers"`
	ReadersError string       `json:"pcsc_error,omitempty"`
	Ports        []portInfo   `json:"serial_ports"`
	PortsError   string       `json:"serial_error,omitempty"`
	Probes       []probe      `json:"probes,omitempty"`
}

// runDevices is `posctl devices`: the PC/SC readers (with card state and ATR; needs
// the pcsc build tag), the serial ports (go.bug.st/serial's enumerator) and, with
// --config, a probe of each device that configuration names: the PC/SC reader
// opened, the printer's DLE EOT status, the PIN pad's GIN answer, the stripe
// reader's port opened. Exit status 1 when a configured device does not answer.
func runDevices(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("devices", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, devicesUsage); fs.PrintDefaults() }
	asJSON := fs.Bool("json", false, "print JSON")
	cfgPath := fs.String("config", "", "posd configuration file whose devices to probe (posd must not hold them)")
	timeout := fs.Duration("timeout", 5*time.Second, "bound of each probe")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return exitUsage
	}
	if len(pos) != 0 {
		fmt.Fprintln(stderr, devicesUsage)
		return exitUsage
	}
	var rep devicesReport
	if rep.Readers, err = listReaders(); err != nil {
		rep.ReadersError = err.Error()
	}
	if rep.Ports, err = listPorts(); err != nil {
		rep.PortsError = err.Error()
	}
	code := exitOK
	if *cfgPath != "" {
		cfg, err := config.Load(*cfgPath)
		if err == nil {
			err = cfg.Validate()
		}
		if err != nil {
			fmt.Fprintf(stderr, "posctl devices: %v\n", err)
			return exitUsage
		}
		rep.Probes = probeDevices(context.Background(), cfg, *timeout)
		for _, p := range rep.Probes {
			if !p.OK {
				code = exitError
			}
		}
	}
	if *asJSON {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			fmt.Fprintf(stderr, "posctl devices: %v\n", err)
			return exitError
		}
		stdout.Write(append(b, '\n'))
		return code
	}
	printDevices(stdout, rep)
	return code
}

func printDevices(w io.Writer, rep devicesReport) {
	fmt.Fprintln(w, "PC/SC readers:")
	switch {
	case rep.ReadersError != "":
		fmt.Fprintf(w, "  (%s)\n", rep.ReadersError)
	case len(rep.Readers) == 0:
		fmt.Fprintln(w, "  (none)")
	}
	for _, r := range rep.Readers {
		line := fmt.Sprintf("  %-28s %s", r.Name, r.State)
		if r.ATR != "" {
			line += "  ATR " + r.ATR
		}
		fmt.Fprintln(w, line)
	}
	fmt.Fprintln(w, "Serial ports:")
	switch {
	case rep.PortsError != "":
		fmt.Fprintf(w, "  (%s)\n", rep.PortsError)
	case len(rep.Ports) == 0:
		fmt.Fprintln(w, "  (none)")
	}
	for _, p := range rep.Ports {
		line := "  " + p.Name
		if p.USB {
			line += fmt.Sprintf("  USB %s:%s", p.VID, p.PID)
			if d := strings.TrimSpace(p.Manufacturer + " " + p.Product); d != "" {
				line += "  " + d
			}
			if p.SerialNumber != "" {
				line += "  serial " + p.SerialNumber
			}
		}
		fmt.Fprintln(w, line)
	}
	if len(rep.Probes) > 0 {
		fmt.Fprintln(w, "Configured devices:")
		for _, p := range rep.Probes {
			st := "ok  "
			if !p.OK {
				st = "FAIL"
			}
			where := p.Driver
			if p.Port != "" {
				where += " " + p.Port
			}
			fmt.Fprintf(w, "  %s %-12s %-24s %s\n", st, p.Device, where, p.Detail)
		}
	}
}

func listPorts() ([]portInfo, error) {
	ports, err := enumerator.GetDetailedPortsList()
	if err != nil {
		return nil, fmt.Errorf("enumerate serial ports: %w", err)
	}
	out := make([]portInfo, 0, len(ports))
	for _, p := range ports {
		out = append(out, portInfo{Name: p.Name, USB: p.IsUSB, VID: p.VID, PID: p.PID,
			SerialNumber: p.SerialNumber, Manufacturer: p.Manufacturer, Product: p.Product})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// probeDevices talks to each device cfg names that is not simulated in process.
func probeDevices(ctx context.Context, cfg config.Config, timeout time.Duration) []probe {
	d := cfg.Devices
	var out []probe
	if d.CardReader == "pcsc" {
		p := probe{Device: "card_reader", Driver: "pcsc", Port: d.ReaderPattern}
		name, err := probeReader(ctx, d.ReaderPattern)
		p.OK, p.Detail = err == nil, "reader "+name
		if err != nil {
			p.Detail = err.Error()
		}
		out = append(out, p)
	}
	if d.Magstripe == "serial" {
		p := probe{Device: "magstripe", Driver: "serial", Port: d.MagstripeDevice}
		r, err := msr.Open(d.MagstripeDevice, d.MagstripeBaud, msr.Options{})
		if err == nil {
			p.OK, p.Detail = true, "port opens (a stripe reader only speaks when swiped)"
			r.Close()
		} else {
			p.Detail = err.Error()
		}
		out = append(out, p)
	}
	if d.PINPad == "serial" {
		p := probe{Device: "pinpad", Driver: "serial", Port: d.PINPadPort}
		pad, err := pinpad.Open(d.PINPadPort, d.PINPadBaud, pinpad.Options{})
		if err == nil {
			cctx, cancel := context.WithTimeout(ctx, timeout)
			var info pinpad.Info
			info, err = pad.Info(cctx)
			cancel()
			pad.Close()
			if err == nil {
				p.OK, p.Detail = true, fmt.Sprintf("%s %s, ABECS %s, serial %s", info.Maker, info.Model, info.SpecVersion, info.Serial)
			}
		}
		if err != nil {
			p.Detail = err.Error()
		}
		out = append(out, p)
	}
	if d.Printer == "serial" {
		p := probe{Device: "printer", Driver: "serial", Port: d.PrinterPort}
		pr, err := escpos.Open(d.PrinterPort, d.PrinterBaud)
		if err == nil {
			cctx, cancel := context.WithTimeout(ctx, timeout)
			st, serr := pr.Status(cctx)
			cancel()
			pr.Close()
			if err = serr; err == nil {
				p.OK, p.Detail = st.Err() == nil, "status "+st.String()
			}
		}
		if err != nil {
			p.Detail = err.Error()
		}
		out = append(out, p)
	}
	return out
}
