// Package iso8583 owns the acquirer's message dialects: the China UnionPay POS 8583
// dialect as a moov-io/iso8583 MessageSpec, the mapping between a Request/Reply and a
// message for every transaction type, response codes, and masked descriptions of
// messages. Framing (length, TPDU, header) is in iso8583/frame; keys and MAC
// algorithms are in internal/keys. It imports only L0 packages.
package iso8583
