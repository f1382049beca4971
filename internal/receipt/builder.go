package receipt

import (
	"strings"
	"unicode/utf8"

	"countertop/hal"
	"countertop/internal/msgs"
)

// builder accumulates the lines of one document.
type builder struct {
	l   Layout
	doc hal.Document
}

func (b *builder) line(l hal.Line) { b.doc.Lines = append(b.doc.Lines, l) }

func (b *builder) blank() { b.line(hal.Line{}) }

func (b *builder) rule() { b.line(hal.Line{Text: strings.Repeat("-", b.l.Width)}) }

// join renders a label or text in the layout's language: "中文" + sep + "ENGLISH"
// when bilingual, with sep "" meaning "中文(ENGLISH)".
func (b *builder) join(t label, sep string) string {
	switch {
	case b.l.Lang == msgs.EN:
		return t.en
	case !b.l.English:
		return t.zh
	case sep == "":
		return t.zh + "(" + t.en + ")"
	}
	return t.zh + sep + t.en
}

// text adds s wrapped to the width.
func (b *builder) text(s string, a hal.Align) {
	for _, w := range wrap(s, b.l.Width) {
		b.line(hal.Line{Text: w, Align: a})
	}
}

// big adds s in the big font when it fits half the width, else bold and wrapped.
func (b *builder) big(s string, a hal.Align) {
	if hal.TextWidth(s) <= b.l.Width/2 {
		b.line(hal.Line{Text: s, Align: a, Large: true})
		return
	}
	for _, w := range wrap(s, b.l.Width) {
		b.line(hal.Line{Text: w, Align: a, Bold: true})
	}
}

// labelOwnLine adds "label:" on a line of its own (its value follows below).
func (b *builder) labelOwnLine(t label) { b.text(b.join(t, "")+":", hal.AlignLeft) }

// field adds "label:value" on one line when it fits, else the label and then the
// value right-aligned on the next line(s).
func (b *builder) field(t label, value string) {
	b.pair(b.join(t, "")+":", value)
}

// tag adds a remark "TAG:value" (chip data keeps its EMV names in every language);
// nothing when value is empty.
func (b *builder) tag(name, value string) {
	if value != "" {
		b.pair(name+":", value)
	}
}

func (b *builder) pair(lbl, value string) {
	if hal.TextWidth(lbl)+hal.TextWidth(value) <= b.l.Width {
		b.line(hal.Line{Text: lbl + value})
		return
	}
	b.text(lbl, hal.AlignLeft)
	b.text(value, hal.AlignRight)
}

func (b *builder) testMark() {
	t := b.join(txtTest, "/")
	if b.l.Lang == msgs.EN {
		t += ", " + txtTestVoid.en
	} else {
		t += "，" + txtTestVoid.zh
	}
	b.text(t, hal.AlignCenter)
}

// wrap breaks s into lines of at most width columns: between words, between wide
// characters, before a parenthesised English part kept whole when it fits a line
// ("预授权完成请求" / "(AUTH COMPLETE)"), and inside a word only when the word alone is
// wider than a line.
func wrap(s string, width int) []string {
	if width <= 0 || hal.TextWidth(s) <= width {
		return []string{s}
	}
	var lines []string
	var cur strings.Builder
	curW := 0
	flush := func() {
		lines = append(lines, strings.TrimRight(cur.String(), " "))
		cur.Reset()
		curW = 0
	}
	toks := tokens(s, true)
	for len(toks) > 0 {
		tok := toks[0]
		toks = toks[1:]
		tw := hal.TextWidth(tok)
		if tok == " " {
			if curW > 0 && curW < width {
				cur.WriteString(" ")
				curW++
			}
			continue
		}
		if strings.HasPrefix(tok, "(") && strings.Contains(tok, " ") && tw > width {
			toks = append(tokens(tok, false), toks...) // a group wider than a line: by words
			continue
		}
		if curW+tw > width && curW > 0 {
			flush()
		}
		for tw > width { // a word wider than a line: hard break
			n, w := 0, 0
			for _, r := range tok {
				if w+hal.RuneWidth(r) > width {
					break
				}
				w += hal.RuneWidth(r)
				n += len(string(r))
			}
			if n == 0 { // narrower than one wide character: take it anyway
				_, size := utf8.DecodeRuneInString(tok)
				n = size
			}
			cur.WriteString(tok[:n])
			flush()
			tok = tok[n:]
			tw = hal.TextWidth(tok)
		}
		cur.WriteString(tok)
		curW += tw
	}
	if curW > 0 {
		flush()
	}
	return lines
}

// tokens splits s into words of narrow characters, single wide characters and single
// spaces. With groups, a parenthesised part "(...)" is one token, spaces included.
func tokens(s string, groups bool) []string {
	var out []string
	start := -1
	end := func(i int) {
		if start >= 0 {
			out = append(out, s[start:i])
			start = -1
		}
	}
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case groups && r == '(' && strings.IndexByte(s[i:], ')') > 0:
			end(i)
			j := i + strings.IndexByte(s[i:], ')') + 1
			out = append(out, s[i:j])
			i = j
			continue
		case r == ' ':
			end(i)
			out = append(out, " ")
		case hal.RuneWidth(r) == 2:
			end(i)
			out = append(out, string(r))
		default:
			if start < 0 {
				start = i
			}
		}
		i += size
	}
	end(len(s))
	return out
}
