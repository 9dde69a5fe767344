package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"matthan"
)

// MQTT publishes each matching event, as JSON with QoS 1, on
// <prefix>/<camera>/<type> (matthan/cam-001/loitering).
type MQTT struct {
	Broker   string // tcp://host:1883, ssl://host:8883 or ws://…; without user info
	ClientID string // "" means matthan-<host name>; keep it stable: the broker keeps the session by it
	Username string
	Password string // never logged
	Prefix   string // "" means "matthan"
	Filter   Filter
	// ReconnectMax caps the wait between reconnects; 0 means 30 s.
	ReconnectMax time.Duration
}

// Topic is where an event is published.
func (m *MQTT) Topic(e *matthan.AnalyticsEvent) string {
	prefix := m.Prefix
	if prefix == "" {
		prefix = "matthan"
	}
	return prefix + "/" + topicLevel(e.CameraID) + "/" + topicLevel(string(e.Type))
}

// topicLevel keeps a name one topic level: no separators or wildcards.
func topicLevel(s string) string {
	return strings.NewReplacer("/", "_", "+", "_", "#", "_", "\x00", "_").Replace(s)
}

type mqttDest struct {
	cfg     MQTT
	label   string
	client  mqtt.Client
	log     *slog.Logger
	timeout time.Duration
}

func newMQTTDest(cfg MQTT, timeout time.Duration, log *slog.Logger) (*mqttDest, error) {
	u, err := url.Parse(cfg.Broker)
	if err != nil || u.Host == "" || u.User != nil {
		return nil, &matthan.Error{Code: matthan.EINVALID,
			Message:   "The MQTT broker must be a URL such as tcp://host:1883, without a user name or password in it",
			MessageVI: "Máy chủ MQTT phải là địa chỉ dạng tcp://host:1883, không chứa tên đăng nhập hay mật khẩu"}
	}
	if cfg.ClientID == "" {
		host, _ := os.Hostname()
		cfg.ClientID = "matthan-" + host
	}
	if cfg.ReconnectMax <= 0 {
		cfg.ReconnectMax = 30 * time.Second
	}
	d := &mqttDest{cfg: cfg, label: "mqtt " + u.Host, log: log, timeout: timeout}
	opts := mqtt.NewClientOptions().AddBroker(cfg.Broker).SetClientID(cfg.ClientID).
		SetUsername(cfg.Username).SetPassword(cfg.Password).
		SetAutoReconnect(true).SetConnectRetry(true).
		SetConnectRetryInterval(min(time.Second, cfg.ReconnectMax)).SetMaxReconnectInterval(cfg.ReconnectMax).
		SetConnectTimeout(10 * time.Second).SetKeepAlive(30 * time.Second).
		// A clean session: paho v1.5.1 races (go test -race) when it
		// resumes a persistent one. What could not be sent while the
		// connection was down is retried by the notifier instead.
		SetCleanSession(true).SetOrderMatters(false).
		SetOnConnectHandler(func(mqtt.Client) { log.Info("mqtt connected", "broker", u.Host) }).
		SetConnectionLostHandler(func(_ mqtt.Client, err error) {
			log.Warn("mqtt connection lost; reconnecting", "broker", u.Host, "err", err)
		})
	d.client = mqtt.NewClient(opts)
	return d, nil
}

func (d *mqttDest) name() string   { return d.label }
func (d *mqttDest) filter() Filter { return d.cfg.Filter }

// connect starts connecting; with ConnectRetry the client keeps trying in
// the background, and publishes wait for the connection.
func (d *mqttDest) connect() { d.client.Connect() }

func (d *mqttDest) close() { d.client.Disconnect(250) }

var errMQTTTimeout = errors.New("mqtt: no PUBACK in time")

var errMQTTDown = errors.New("mqtt: not connected to the broker")

// send publishes once and waits for the broker's PUBACK. While the
// connection is down it fails at once, and the notifier retries later.
func (d *mqttDest) send(ctx context.Context, e *matthan.AnalyticsEvent, body []byte) error {
	if !d.client.IsConnectionOpen() {
		return fmt.Errorf("%s: %w", d.label, errMQTTDown)
	}
	tok := d.client.Publish(d.cfg.Topic(e), 1, false, body)
	select {
	case <-tok.Done():
		if err := tok.Error(); err != nil {
			return fmt.Errorf("%s: %w", d.label, err)
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d.timeout):
		return fmt.Errorf("%s: %w", d.label, errMQTTTimeout)
	}
}
