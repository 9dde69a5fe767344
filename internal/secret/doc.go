// Package secret holds the node's secrets machinery: the node key, the
// sealer that encrypts camera passwords at rest, user password hashing, and
// URL redaction so credentials never reach logs, errors or API output.
package secret
