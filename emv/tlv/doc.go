// Package tlv owns BER-TLV as EMV uses it (EMV 4.4 Book 3 Annex B): parsing and
// minimal encoding of data objects, look-ups in parsed trees and in a flat data store,
// Data Object Lists (Book 3 section 5.4) and a dictionary of the common EMV tags with
// their names, formats, lengths and sources (Book 3 Annex A, plus the UnionPay/PBOC
// tags a CUP terminal meets in field 55).
//
// Parsing is strict: anything that is not well-formed BER-TLV is reported as a
// *SyntaxError carrying the byte offset and wrapping ErrMalformed, never a panic or an
// out-of-bounds read. Padding bytes 00 and FF before, between and after objects are
// skipped (see Parse for why FF is included).
//
// tlv is a leaf package: it imports only the standard library and nothing of
// countertop, so every layer (the kernel, the virtual card, iso8583 field 55, posctl)
// can use it.
package tlv
