package tlv

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A PSE directory record: two application templates, each with its own 4F.
const pseRecord = "70 1E 61 0D 4F 08 A000000333010101 87 01 01 61 0D 4F 08 A000000333010102 87 01 02"

func TestFind_DepthFirstInOrder(t *testing.T) {
	tree := mustParse(t, h(t, pseRecord))
	got, ok := Find(tree, 0x4F)
	if !ok || got.Tag != 0x4F || string(got.Value) != string(h(t, "A000000333010101")) {
		t.Errorf("Find(4F) = %X, %v; want the first application's AID", got.Value, ok)
	}
	if got, ok := Find(tree, 0x61); !ok || len(got.Children) != 2 {
		t.Errorf("Find(61) = %+v, %v; want the first template with its 2 objects", got, ok)
	}
	if _, ok := Find(tree, 0x9F02); ok {
		t.Error("Find(9F02) found a tag that is not there")
	}
}

func TestFindAll_EveryOccurrenceInOrder(t *testing.T) {
	tree := mustParse(t, h(t, pseRecord))
	var got []string
	for _, o := range FindAll(tree, 0x87) {
		got = append(got, o.Tag.String()+"="+string(rune('0'+o.Value[0])))
	}
	if d := cmp.Diff([]string{"87=1", "87=2"}, got); d != "" {
		t.Errorf("FindAll(87) (-want +got):\n%s", d)
	}
}

func TestFlatten_StoresPrimitivesAtAnyDepth(t *testing.T) {
	d, err := Flatten(mustParse(t, h(t, "77 0F 82 02 7C00 94 04 08010100 9F36 02 0001")))
	if err != nil {
		t.Fatal(err)
	}
	want := Data{0x82: h(t, "7C00"), 0x94: h(t, "08010100"), 0x9F36: h(t, "0001")}
	if diff := cmp.Diff(want, d); diff != "" {
		t.Errorf("Flatten (-want +got):\n%s", diff)
	}
}

func TestFlatten_DuplicatePrimitiveIsError(t *testing.T) {
	_, err := Flatten(mustParse(t, h(t, pseRecord)))
	if !errors.Is(err, ErrDuplicate) {
		t.Errorf("Flatten of two 4F: error %v, want ErrDuplicate", err)
	}
}

func TestData_MergeRefusesDuplicatesAndLeavesDataUnchanged(t *testing.T) {
	d := Data{0x5A: h(t, "6212345678901234")}
	err := d.Merge(mustParse(t, h(t, "70 10 5F24 03 291231 5A 08 6299999999999999")))
	if !errors.Is(err, ErrDuplicate) {
		t.Fatalf("Merge of a second 5A: error %v, want ErrDuplicate", err)
	}
	want := Data{0x5A: h(t, "6212345678901234")}
	if diff := cmp.Diff(want, d); diff != "" {
		t.Errorf("d changed by a failed Merge (-want +got):\n%s", diff)
	}
}

func TestData_MergeAddsNewTags(t *testing.T) {
	d := Data{0x5A: h(t, "6212345678901234")}
	if err := d.Merge(mustParse(t, h(t, "70 06 5F24 03 291231"))); err != nil {
		t.Fatal(err)
	}
	if v, ok := d.Get(0x5F24); !ok || string(v) != string(h(t, "291231")) {
		t.Errorf("Get(5F24) = %X, %v", v, ok)
	}
}

func TestData_UpdateReplaces(t *testing.T) {
	d := Data{0x9F36: h(t, "0001"), 0x9F27: h(t, "80")}
	d.Update(mustParse(t, h(t, "77 09 9F27 01 40 9F36 02 0002")))
	want := Data{0x9F36: h(t, "0002"), 0x9F27: h(t, "40")}
	if diff := cmp.Diff(want, d); diff != "" {
		t.Errorf("Update (-want +got):\n%s", diff)
	}
}
