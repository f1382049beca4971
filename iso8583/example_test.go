package iso8583_test

import (
	"bytes"
	"fmt"

	"countertop/internal/carddata"
	"countertop/internal/keys"
	"countertop/internal/money"
	"countertop/internal/txtype"
	"countertop/iso8583"
	"countertop/iso8583/frame"
)

// Example shows one exchange as the terminal (Build, Pack with the MAC, frame) and
// the acquirer (Read, VerifyMAC over the raw body, ParseRequest, BuildReply) see it.
func Example() {
	mak, _ := keys.ParseHexKey("0123456789ABCDEFFEDCBA9876543210")
	mac := func(mab []byte) ([]byte, error) { return keys.MAC(keys.MACCUPECB, mak, mab) }
	track, _ := carddata.ParseTrack2("6222021234567890128=30121010123456789")
	d := iso8583.CUP

	// Terminal: build, MAC, frame, send.
	msg, err := d.Build(iso8583.Request{
		Type: txtype.Sale, Terminal: iso8583.Terminal{TerminalID: "12345678", MerchantID: "123456789012345"},
		STAN: 42, Batch: 7, Amount: money.New(12345, money.CNY), Track2: track, Entry: txtype.EntryMagstripe,
	})
	if err != nil {
		panic(err)
	}
	body, err := d.Pack(msg, mac)
	if err != nil {
		panic(err)
	}
	var wire bytes.Buffer
	if err := frame.Write(&wire, frame.Frame{TPDU: d.TPDU, Header: d.Header, Body: body}); err != nil {
		panic(err)
	}

	// Acquirer: read, verify over the raw bytes, decode, answer.
	in, err := frame.Read(&wire, 2048)
	if err != nil {
		panic(err)
	}
	if err := iso8583.VerifyMAC(in.Body, mac); err != nil {
		panic(err)
	}
	req, err := d.Unpack(in.Body)
	if err != nil {
		panic(err)
	}
	r, err := d.ParseRequest(req)
	if err != nil {
		panic(err)
	}
	fmt.Println(r.Type, r.PAN, r.Amount, r.STAN)
	rep, err := d.BuildReply(req, iso8583.Reply{RespCode: "00", RRN: "261127000001", AuthCode: "123456"})
	if err != nil {
		panic(err)
	}
	rbody, err := d.Pack(rep, mac)
	if err != nil {
		panic(err)
	}

	// Terminal: verify and read the reply.
	if err := iso8583.VerifyMAC(rbody, mac); err != nil {
		panic(err)
	}
	back, err := d.Unpack(rbody)
	if err != nil {
		panic(err)
	}
	reply, err := d.ParseReply(back)
	if err != nil {
		panic(err)
	}
	fmt.Println(reply.RespCode, reply.AuthCode, reply.RRN)
	// Output:
	// sale ***************0128 RMB 123.45 000042
	// 00 123456 261127000001
}
