package testports

import (
	"net"
	"strconv"
	"testing"
)

func TestBlockStaysBelowTheEphemeralRange(t *testing.T) {
	lo, hi := EphemeralRange()
	if lo < 1024 || hi < lo {
		t.Fatalf("ephemeral range %d-%d", lo, hi)
	}
	for i := 0; i < 50; i++ {
		base, err := Block(24, true)
		if err != nil {
			t.Fatal(err)
		}
		if base < lowest || base+24-1+BusOffset >= lo {
			t.Fatalf("block %d (+24, bus +%d) reaches the ephemeral range starting at %d", base, BusOffset, lo)
		}
	}
}

// A block with a port somebody holds is never handed out.
func TestBlockSkipsHeldPorts(t *testing.T) {
	base, err := Block(1, false)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(base))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if free(base, 1, false) {
		t.Fatalf("port %d is held but counted free", base)
	}
}
