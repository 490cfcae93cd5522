package broker_test

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/azinteractive/azinteractive/internal/broker"
	"github.com/azinteractive/azinteractive/internal/broker/bustest"
	"github.com/godbus/dbus/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hugeAnswerBusEnv and hugeAnswerSizeEnv make the test binary the broker of
// serveHugeAnswer, on the bus at that address.
const (
	hugeAnswerBusEnv  = "BROKER_TEST_HUGE_ANSWER_BUS"
	hugeAnswerSizeEnv = "BROKER_TEST_HUGE_ANSWER_SIZE"
)

// versionAnswer is a getLinuxBrokerVersion answer of exactly size bytes.
func versionAnswer(size int) string {
	const prefix, suffix = `{"linuxBrokerVersion":"`, `"}`
	return prefix + strings.Repeat("9", size-len(prefix)-len(suffix)) + suffix
}

// serveHugeAnswer is a broker whose getLinuxBrokerVersion answers
// hugeAnswerSizeEnv bytes. It says "ready" on stdout once it owns the name,
// and serves until stdin closes.
func serveHugeAnswer(addr string) int {
	size, err := strconv.Atoi(os.Getenv(hugeAnswerSizeEnv))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	answer := versionAnswer(size)
	conn, err := dbus.Connect(addr)
	if err == nil {
		err = conn.ExportMethodTable(map[string]any{
			broker.MethodGetLinuxBrokerVersion: func(_, _, _ string) (string, *dbus.Error) { return answer, nil },
		}, broker.ObjectPath, broker.Interface)
	}
	if err == nil {
		_, err = conn.RequestName(broker.BusName, dbus.NameFlagDoNotQueue)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin)
	_ = conn.Close()
	return 0
}

// startHugeAnswerBroker runs serveHugeAnswer in a process of its own, so that
// what it allocates to send its answer isn't counted in this process's
// memory statistics. It stops with the test.
func startHugeAnswerBroker(t *testing.T, addr string, size int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), hugeAnswerBusEnv+"="+addr, hugeAnswerSizeEnv+"="+strconv.Itoa(size))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = stdin.Close()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err, "the broker process didn't start")
	require.Equal(t, "ready\n", line)
}

// TestHugeAnswerRefusedWhileReading: an answer far larger than the client reads
// fails when its message's header arrives, before the client reads (and
// allocates) its body. Before the fix, the client read all of it (godbus
// allows 128 MiB) and only then checked its length.
func TestHugeAnswerRefusedWhileReading(t *testing.T) {
	// Under the 32 MiB a dbus-daemon without a max_message_size limit
	// (bustest's) passes, and small enough for the broker's godbus to encode
	// quickly under the race detector. The old client allocated three times
	// this.
	const size = 8 << 20
	addr := bustest.Start(t)
	startHugeAnswerBroker(t, addr, size)
	c := &broker.Client{Address: addr}

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := c.Version(ctxFor(t))
	runtime.ReadMemStats(&after)

	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("the client allocated %d bytes during the call", allocated)
	assert.Less(t, allocated, uint64(size/8), "the client allocated %d bytes for an answer of %d", allocated, size)
	require.ErrorIs(t, err, broker.ErrBadResponse)
	m := regexp.MustCompile(`a D-Bus message of (\d+) bytes came, larger than`).FindStringSubmatch(err.Error())
	require.NotNil(t, m, "the client refused the message by its header: %v", err)
	declared, err := strconv.Atoi(m[1])
	require.NoError(t, err)
	assert.Greater(t, declared, size, "the refused message is the broker's answer")
}

// TestLargestAnswer: an answer of exactly MaxResponseSize bytes is read.
func TestLargestAnswer(t *testing.T) {
	addr := bustest.Start(t)
	conn, err := dbus.Connect(addr)
	require.NoError(t, err)
	defer conn.Close()
	answer := versionAnswer(broker.MaxResponseSize)
	require.NoError(t, conn.ExportMethodTable(map[string]any{
		broker.MethodGetLinuxBrokerVersion: func(_, _, _ string) (string, *dbus.Error) { return answer, nil },
	}, broker.ObjectPath, broker.Interface))
	_, err = conn.RequestName(broker.BusName, dbus.NameFlagDoNotQueue)
	require.NoError(t, err)

	v, err := (&broker.Client{Address: addr}).Version(ctxFor(t))
	require.NoError(t, err)
	assert.Len(t, v, broker.MaxResponseSize-len(`{"linuxBrokerVersion":""}`))
}
