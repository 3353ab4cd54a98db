package inventory

import (
	"strings"
	"testing"
)

func TestRead(t *testing.T) {
	got, err := Read(strings.NewReader("# floor 2\n\nJIG-0001\n  JIG-0002  \n"))
	if err != nil || strings.Join(got, ",") != "JIG-0001,JIG-0002" {
		t.Fatalf("got %v, %v", got, err)
	}
	_, err = Read(strings.NewReader("JIG-0001\nbad.serial\nJIG-0001\n"))
	for _, want := range []string{"line 2:", "line 3: JIG-0001 is listed twice"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want %q in %v", want, err)
		}
	}
}
