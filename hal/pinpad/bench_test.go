package pinpad_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"countertop/hal/pinpad"
	"countertop/hal/pinpad/abecs"
	"countertop/hal/pinpad/pinpadsim"
)

// gpnWireBytes is what one GPN exchange puts on the line: the command frame, the ACK
// and the response frame (the payloads hold no byte that needs stuffing).
func gpnWireBytes(b *testing.B) int {
	cmd, err := abecs.Encode([]byte("GPN093" + strings.Repeat("0", 93)))
	if err != nil {
		b.Fatal(err)
	}
	rsp, err := abecs.Encode([]byte("GPN000036" + strings.Repeat("0", 36)))
	if err != nil {
		b.Fatal(err)
	}
	return len(cmd) + 1 + len(rsp)
}

// BenchmarkGPN times one PIN entry exchange (GPN, ACK, response) between the driver
// and the simulator over a pty at 115200 baud, against its byte-time floor: 10 bits
// a byte at 115200 bit/s. "paced" makes the simulator take the line's time for every
// byte in both directions (a pty has no baud rate), so x-floor shows what the driver
// and the link rules add to the wire time; "unpaced" shows the software cost alone.
func BenchmarkGPN(b *testing.B) {
	const baud = 115200
	floor := time.Duration(gpnWireBytes(b)) * 10 * time.Second / baud
	for _, paced := range []bool{false, true} {
		name := "unpaced"
		so := pinpadsim.Options{}
		if paced {
			name, so.Baud = fmt.Sprintf("paced-%d", baud), baud
		}
		b.Run(name, func(b *testing.B) {
			r := loaded(b, so, pinpad.Options{})
			ctx := testCtx(b)
			start := time.Now()
			for b.Loop() {
				r.sim.Enter("123456")
				if _, err := r.pad.ReadPIN(ctx, entry); err != nil {
					b.Fatal(err)
				}
			}
			per := time.Since(start) / time.Duration(b.N)
			b.ReportMetric(float64(floor.Microseconds()), "floor-µs")
			b.ReportMetric(float64(per)/float64(floor), "x-floor")
		})
	}
}
