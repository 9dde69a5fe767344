package notify

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"matthan"
)

// mosquittoBinary finds the broker (Debian installs it in /usr/sbin, which
// is not always on PATH).
func mosquittoBinary(t *testing.T) string {
	if p, err := exec.LookPath("mosquitto"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/mosquitto"); err == nil {
		return "/usr/sbin/mosquitto"
	}
	t.Fatal("mosquitto is not installed: run `make setup` (Debian package mosquitto)")
	return ""
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// broker is a real Mosquitto on a loopback port.
type broker struct {
	bin, conf string
	port      int
	cmd       *exec.Cmd
}

func startBroker(t *testing.T) *broker {
	b := &broker{bin: mosquittoBinary(t), port: freePort(t)}
	b.conf = filepath.Join(t.TempDir(), "mosquitto.conf")
	conf := fmt.Sprintf("listener %d 127.0.0.1\nallow_anonymous true\npersistence false\n", b.port)
	if err := os.WriteFile(b.conf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	b.start(t)
	t.Cleanup(b.stop)
	return b
}

func (b *broker) start(t *testing.T) {
	t.Helper()
	b.cmd = exec.Command(b.bin, "-c", b.conf)
	b.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out := &strings.Builder{}
	b.cmd.Stdout, b.cmd.Stderr = out, out
	if err := b.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); ; {
		c, err := net.Dial("tcp", b.addr())
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			b.stop()
			t.Fatalf("mosquitto did not listen on %s: %s", b.addr(), out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop ends the broker's process group, by its PID.
func (b *broker) stop() {
	if b.cmd == nil || b.cmd.Process == nil {
		return
	}
	syscall.Kill(-b.cmd.Process.Pid, syscall.SIGTERM)
	b.cmd.Wait()
	b.cmd = nil
}

func (b *broker) addr() string { return fmt.Sprintf("127.0.0.1:%d", b.port) }

// subscriber is a paho client that collects what arrives under
// matthan/#; subscribed ticks each time it has (re)subscribed.
func subscriber(t *testing.T, b *broker) (msgs <-chan mqtt.Message, subscribed <-chan struct{}) {
	in, subs := make(chan mqtt.Message, 16), make(chan struct{}, 4)
	opts := mqtt.NewClientOptions().AddBroker("tcp://" + b.addr()).SetClientID("test-sub").
		SetAutoReconnect(true).SetMaxReconnectInterval(100 * time.Millisecond).SetResumeSubs(true).SetCleanSession(false)
	opts.SetOnConnectHandler(func(c mqtt.Client) {
		// Not in this handler: paho calls it on its own goroutine, which
		// the SUBACK needs.
		go func() {
			tok := c.Subscribe("matthan/#", 1, func(_ mqtt.Client, m mqtt.Message) { in <- m })
			if tok.WaitTimeout(5*time.Second) && tok.Error() == nil {
				subs <- struct{}{}
			}
		}()
	})
	c := mqtt.NewClient(opts)
	if tok := c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscriber connect: %v", tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(100) })
	return in, subs
}

func wait(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}

func receive(t *testing.T, msgs <-chan mqtt.Message) mqtt.Message {
	t.Helper()
	select {
	case m := <-msgs:
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("no MQTT message")
		return nil
	}
}

func TestMQTTPublishesPerCameraAndType(t *testing.T) {
	b := startBroker(t)
	msgs, subscribed := subscriber(t, b)
	wait(t, subscribed, "the subscription")

	n := newNotifier(t, Config{MQTT: &MQTT{Broker: "tcp://" + b.addr(), ReconnectMax: 100 * time.Millisecond,
		Filter: Filter{MinSeverity: matthan.SeverityWarning}}})
	run(t, n)
	n.Notify(event("ev-info", matthan.SeverityInfo)) // below the filter
	e := event("ev-1", matthan.SeverityAlarm)
	n.Notify(e)
	m := receive(t, msgs)
	if m.Topic() != "matthan/cam-001/three_riders" || m.Qos() != 1 {
		t.Fatalf("topic %q qos %d", m.Topic(), m.Qos())
	}
	var got matthan.AnalyticsEvent
	if err := json.Unmarshal(m.Payload(), &got); err != nil || got.ID != "ev-1" || got.Severity != matthan.SeverityAlarm {
		t.Fatalf("payload %s: %v", m.Payload(), err)
	}
	name := "mqtt " + b.addr()
	waitStats(t, n, name, func(s Stats) bool { return s.Delivered == 1 && s.Suppressed == 1 })

	// The broker restarts: the notifier reconnects and the next event arrives.
	b.stop()
	b.start(t)
	wait(t, subscribed, "the subscription after the restart")
	tamper := event("ev-2", matthan.SeverityAlarm)
	tamper.Type, tamper.CameraID = matthan.EventTamper, "cam/with+odd#chars"
	n.Notify(tamper)
	// QoS 1 is at least once: across the restart the broker may deliver
	// ev-1 again (its acknowledgement was in flight). Only ev-1 may repeat.
	for m = receive(t, msgs); m.Topic() == "matthan/cam-001/three_riders"; m = receive(t, msgs) {
		var again matthan.AnalyticsEvent
		if err := json.Unmarshal(m.Payload(), &again); err != nil || again.ID != "ev-1" {
			t.Fatalf("unexpected message %s: %v", m.Payload(), err)
		}
	}
	if m.Topic() != "matthan/cam_with_odd_chars/tamper" {
		t.Fatalf("topic %q", m.Topic())
	}
	waitStats(t, n, name, func(s Stats) bool { return s.Delivered == 2 })
}
