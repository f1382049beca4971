package tlv_test

import (
	"encoding/hex"
	"fmt"

	"countertop/emv/tlv"
)

func ExampleParse() {
	// A GET PROCESSING OPTIONS response in format 2.
	rapdu, _ := hex.DecodeString("770E82027C00940808010100" + "10010401")
	tree, err := tlv.Parse(rapdu)
	if err != nil {
		fmt.Println(err)
		return
	}
	aip, _ := tlv.Find(tree, 0x82)
	afl, _ := tlv.Find(tree, 0x94)
	fmt.Printf("AIP %X AFL %X\n", aip.Value, afl.Value)
	// Output: AIP 7C00 AFL 0801010010010401
}

func ExampleBuildDOL() {
	// CDOL1 from the card: amount, currency, unpredictable number.
	cdol1, _ := tlv.ParseDOL([]byte{0x9F, 0x02, 0x06, 0x5F, 0x2A, 0x02, 0x9F, 0x37, 0x04})
	terminal := tlv.Data{
		0x9F02: {0x00, 0x00, 0x00, 0x00, 0x10, 0x00}, // 10.00
		0x5F2A: {0x01, 0x56},                         // CNY
		// 9F37 missing: zero-filled
	}
	fmt.Printf("%X\n", tlv.BuildDOL(cdol1, terminal.Get))
	// Output: 000000001000015600000000
}

func ExampleJSON() {
	out, _ := tlv.JSON([]byte{0x9F, 0x27, 0x01, 0x80})
	fmt.Println(string(out))
	// Output:
	// [
	//   {
	//     "tag": "9F27",
	//     "name": "Cryptogram Information Data",
	//     "len": 1,
	//     "value": "80"
	//   }
	// ]
}
