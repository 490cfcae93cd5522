package broker_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/azinteractive/azinteractive/entratest"
	"github.com/azinteractive/azinteractive/internal/broker"
	"github.com/azinteractive/azinteractive/internal/broker/bustest"
	"github.com/godbus/dbus/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
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

// silentBroker takes the broker's name on the bus at addr and answers
// nothing: the method calls it receives come out of the returned channel
// (among the bus's signals, which nextCall skips).
func silentBroker(t *testing.T, addr string) <-chan *dbus.Message {
	t.Helper()
	conn, err := dbus.Connect(addr)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	reply, err := conn.RequestName(broker.BusName, dbus.NameFlagDoNotQueue)
	require.NoError(t, err)
	require.Equal(t, dbus.RequestNameReplyPrimaryOwner, reply)
	in := make(chan *dbus.Message, 16)
	conn.Eavesdrop(in) // every message goes to in, unanswered
	return in
}

// nextCall returns the next method call a silentBroker received.
func nextCall(t *testing.T, in <-chan *dbus.Message) (method, correlationID string) {
	t.Helper()
	ctx := ctxFor(t)
	for {
		select {
		case m, ok := <-in:
			require.True(t, ok, "the broker's connection closed")
			if m.Type != dbus.TypeMethodCall {
				continue
			}
			member, _ := m.Headers[dbus.FieldMember].Value().(string)
			require.Len(t, m.Body, 3, "%s's arguments", member)
			id, _ := m.Body[1].(string)
			return member, id
		case <-ctx.Done():
			require.FailNow(t, "the broker got no call")
		}
	}
}

// ignoredCancel signs in with a broker that never answers, ends the call's
// context once the sign-in reached the broker, and checks that the
// cancellation is sent. It returns the call's outcome.
func ignoredCancel(t *testing.T, addr string, calls <-chan *dbus.Message) <-chan error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	done := make(chan error, 1)
	go func() {
		_, err := (&broker.Client{Address: addr}).AcquireTokenInteractively(ctx, broker.TokenParams{
			ClientID: entratest.DefaultClientID, Authority: "https://login.microsoftonline.com/organizations", Scopes: []string{armScope},
		})
		done <- err
	}()
	method, signIn := nextCall(t, calls)
	require.Equal(t, broker.MethodAcquireTokenInteractively, method)
	cancel()
	method, canceled := nextCall(t, calls)
	require.Equal(t, broker.MethodCancelInteractiveFlow, method)
	require.Equal(t, signIn, canceled, "the cancellation names the sign-in")
	return done
}

// TestIgnoredCancelKeepsDeadline: when the broker never answers
// cancelInteractiveFlow, the interactive call still returns its context's
// error promptly. Before the fix it waited 5 s (cancelTimeout) for the answer.
func TestIgnoredCancelKeepsDeadline(t *testing.T) {
	addr := bustest.Start(t)
	done := ignoredCancel(t, addr, silentBroker(t, addr))
	// The client waits 100 ms for the answer; the old client waited 5 s.
	bound := time.NewTimer(2 * time.Second)
	defer bound.Stop()
	select {
	case err := <-done:
		require.ErrorIs(t, err, context.Canceled)
	case <-bound.C:
		require.FailNow(t, "the call waited for the broker to answer cancelInteractiveFlow, past its context's end")
	}
}

// TestIgnoredCancelEndsAtItsBound: the background cancellation, and its
// connection, end by cancelTimeout though the broker still hasn't answered.
func TestIgnoredCancelEndsAtItsBound(t *testing.T) {
	broker.SetCancelTimeout(t, 200*time.Millisecond)
	addr := bustest.Start(t)
	calls := silentBroker(t, addr)
	others := goleak.IgnoreCurrent()
	require.ErrorIs(t, <-ignoredCancel(t, addr, calls), context.Canceled)
	// goleak retries for about a second: longer than the bound, far shorter
	// than the broker's silence, which lasts until the test ends.
	goleak.VerifyNone(t, others)
}
