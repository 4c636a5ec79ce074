package main

import "testing"

func TestSides(t *testing.T) {
	for _, c := range []struct {
		args          []string
		noVRRP, noLVS bool
	}{
		{nil, false, false},
		{[]string{"-P"}, false, true},
		{[]string{"--vrrp"}, false, true},
		{[]string{"-C"}, true, false},
		{[]string{"--check"}, true, false},
		{[]string{"-P", "-C"}, false, false},
	} {
		o, err := parseArgs(c.args)
		if err != nil {
			t.Fatalf("%v: %v", c.args, err)
		}
		noVRRP, noLVS := sides(o)
		if noVRRP != c.noVRRP || noLVS != c.noLVS {
			t.Errorf("%v: noVRRP=%v noLVS=%v, want %v %v", c.args, noVRRP, noLVS, c.noVRRP, c.noLVS)
		}
	}
}
