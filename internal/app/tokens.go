package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"matthan"
	"matthan/internal/auth"
	"matthan/internal/config"
)

// TokenOptions are the flags of `matthan token create|list|revoke`; the
// node's options (--data, --config, MATTHAN_*) come from config.Load.
type TokenOptions struct {
	User    string
	Name    string
	Scopes  string
	Expires string // a lifetime: 90d, 12h; "" never expires
	Out     io.Writer
}

// Flags declares the token flags on fs.
func (o *TokenOptions) Flags(fs *flag.FlagSet) {
	fs.StringVar(&o.User, "user", "", "the user the token acts as (create: required; list: only this user's)")
	fs.StringVar(&o.Name, "name", "", "what the token is for, e.g. prometheus")
	fs.StringVar(&o.Scopes, "scope", "read", "comma-separated scopes: read, live, playback, export, admin")
	fs.StringVar(&o.Expires, "expires", "", "lifetime such as 90d or 12h (default: never expires)")
}

// Token runs `matthan token SUB`: create prints the new token once; list
// shows tokens without their secrets; revoke ID deletes one. It works on
// the node's store directly, beside a running node.
func Token(ctx context.Context, cfg config.Config, sub string, args []string, o TokenOptions) error {
	if o.Out == nil {
		o.Out = io.Discard
	}
	store, err := openExistingStore(ctx, cfg.Data)
	if err != nil {
		return err
	}
	defer store.Close()
	sessions := auth.NewSessions(store, auth.Config{})
	by := auth.Actor{User: osUser(), Remote: "cli"}
	switch sub {
	case "create":
		if o.User == "" {
			return errors.New("token create: --user is required / cần --user")
		}
		scopes, err := matthan.ParseScopes([]string{o.Scopes})
		if err != nil {
			return err
		}
		req := auth.TokenRequest{User: o.User, Name: o.Name, Scopes: scopes}
		if o.Expires != "" {
			d, err := auth.ParseTTL(o.Expires)
			if err != nil {
				return err
			}
			req.ExpiresAt = time.Now().Add(d)
		}
		secret, t, err := sessions.CreateToken(ctx, by, req)
		if err != nil {
			return err
		}
		fmt.Fprintf(o.Out, "API token %d for %s (scopes %s, expires %s) / Mã truy cập %d cho %s:\n\n    %s\n\n",
			t.ID, t.User, t.Scopes, expiry(t), t.ID, t.User, secret)
		fmt.Fprintln(o.Out, "Shown only now: keep it secret. / Chỉ hiển thị lần này: hãy giữ bí mật.")
		fmt.Fprintln(o.Out, "Use: Authorization: Bearer <token>")
		return nil
	case "list":
		toks, err := sessions.Tokens(ctx, o.User)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(o.Out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tUSER\tNAME\tSCOPES\tCREATED\tEXPIRES\tLAST USED")
		for _, t := range toks {
			last := "-"
			if !t.LastUsed.IsZero() {
				last = matthan.FormatLocal(t.LastUsed)
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.User, t.Name, t.Scopes,
				matthan.FormatLocal(t.CreatedAt), expiry(t), last)
		}
		return tw.Flush()
	case "revoke":
		if len(args) != 1 {
			return errors.New("token revoke: give one token ID / hãy cho một ID mã truy cập")
		}
		id, err := strconv.ParseInt(args[0], 10, 64)
		if err != nil {
			return fmt.Errorf("token revoke: %q is not a token ID", args[0])
		}
		if err := sessions.RevokeToken(ctx, by, id, ""); err != nil {
			return err
		}
		fmt.Fprintf(o.Out, "API token %d revoked / Đã thu hồi mã truy cập %d\n", id, id)
		return nil
	}
	return fmt.Errorf("unknown token command %q: use create, list or revoke", sub)
}

func expiry(t *matthan.APIToken) string {
	if t.ExpiresAt.IsZero() {
		return "never"
	}
	return matthan.FormatLocal(t.ExpiresAt)
}
