package bot

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tootops/tootops/jobs"
	"github.com/tootops/tootops/ops"
	"github.com/tootops/tootops/state"
)

// pending is a state-changing command waiting for its "yes" (or a second admin's
// "approve"), persisted so a restart of the bot does not lose or revive it wrongly.
type pending struct {
	Code        string    `json:"code"`
	Sender      string    `json:"sender"`
	Via         string    `json:"via"`
	ReplyTo     string    `json:"reply_to,omitempty"`
	Line        string    `json:"line"`
	Command     string    `json:"command"`
	Created     time.Time `json:"created"`
	Expires     time.Time `json:"expires"`
	NeedsSecond bool      `json:"needs_second,omitempty"`
}

// codeAlphabet leaves out look-alikes (0/O, 1/I/L) so a code survives being read aloud
// or typed on a phone.
const codeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

func randomCode(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	for i := range b {
		b[i] = codeAlphabet[int(b[i])%len(codeAlphabet)]
	}
	return string(b)
}

// confirmations is the table of pending confirmations.
type confirmations struct {
	store *state.Store
	now   func() time.Time
}

// propose records p under a fresh code.
func (c *confirmations) propose(p pending) (pending, error) {
	err := c.store.Update(func(tx *state.Tx) error {
		for range 10 {
			p.Code = randomCode(4)
			if ok, err := tx.Has(state.Confirmations, []byte(p.Code)); err != nil || !ok {
				if err != nil {
					return err
				}
				return tx.Put(state.Confirmations, []byte(p.Code), p)
			}
		}
		return errors.New("no free confirmation code")
	})
	return p, err
}

// answer is who answers and how: "yes", "no" or "approve".
type answer struct {
	verb   string
	sender string
	code   string // "" when the admin gave none
}

// take finds the confirmation an answer refers to, checks that this admin may give it,
// and removes it in the same transaction, so it can be used once only. Expired entries
// met on the way are removed and returned for the audit trail.
func (c *confirmations) take(a answer) (p pending, expired []pending, err error) {
	now := c.now()
	err = c.store.Update(func(tx *state.Tx) error {
		var all []pending
		err := tx.Scan(state.Confirmations, false, func(r state.Record) (bool, error) {
			var q pending
			if err := r.Decode(&q); err != nil {
				return false, err
			}
			all = append(all, q)
			return true, nil
		})
		if err != nil {
			return err
		}
		var live []pending
		var target *pending
		code := strings.ToUpper(a.code)
		for i := range all {
			q := all[i]
			if code != "" && q.Code == code {
				target = &all[i]
			}
			if now.After(q.Expires) {
				expired = append(expired, q)
				if err := tx.Delete(state.Confirmations, []byte(q.Code)); err != nil {
					return err
				}
				continue
			}
			live = append(live, q)
		}
		if target != nil && now.After(target.Expires) {
			return &ops.Error{Msg: fmt.Sprintf("%s expired %s ago", target.Code, jobs.Round(now.Sub(target.Expires))), Hint: "send the command again for a new code"}
		}
		if code == "" {
			target, err = onlyMine(live, a)
			if err != nil {
				return err
			}
		}
		if target == nil {
			return noSuchCode(code, live, a.sender)
		}
		if err := mayAnswer(*target, a); err != nil {
			return err
		}
		p = *target
		return tx.Delete(state.Confirmations, []byte(p.Code))
	})
	return p, expired, err
}

// onlyMine picks the admin's own pending command when they gave no code.
func onlyMine(live []pending, a answer) (*pending, error) {
	var mine []*pending
	for i := range live {
		if live[i].Sender == a.sender {
			mine = append(mine, &live[i])
		}
	}
	switch {
	case a.verb == "approve":
		return nil, &ops.Error{Msg: "approve needs the code", Hint: "send approve CODE, with the code the other admin was given"}
	case len(mine) == 0 && a.verb == "no":
		return nil, &ops.Error{Msg: "nothing to withdraw: you have no pending command"}
	case len(mine) == 0:
		return nil, &ops.Error{Msg: "nothing to confirm: you have no pending command", Hint: "state-changing commands ask for confirmation when you send them"}
	case len(mine) > 1:
		codes := make([]string, len(mine))
		for i, m := range mine {
			codes[i] = m.Code + " (" + m.Line + ")"
		}
		return nil, &ops.Error{Msg: "you have several pending commands: " + strings.Join(codes, ", "), Hint: fmt.Sprintf("send %s CODE", a.verb)}
	}
	return mine[0], nil
}

func noSuchCode(code string, live []pending, sender string) error {
	for _, q := range live {
		if q.Sender == sender {
			return &ops.Error{Msg: fmt.Sprintf("no pending command has the code %s", code), Hint: fmt.Sprintf("yours is %s (%s)", q.Code, q.Line)}
		}
	}
	return &ops.Error{Msg: fmt.Sprintf("no pending command has the code %s", code), Hint: "it may have expired or been answered already"}
}

// mayAnswer enforces who may answer: the sender confirms or withdraws their own command;
// a command that needs a second admin is approved by a different admin only.
func mayAnswer(p pending, a answer) error {
	switch a.verb {
	case "approve":
		if !p.NeedsSecond {
			return &ops.Error{Msg: fmt.Sprintf("%s needs no second admin", p.Code), Hint: fmt.Sprintf("%s confirms it with yes", p.Sender)}
		}
		if p.Sender == a.sender {
			return &ops.Error{Msg: fmt.Sprintf("you asked for %s yourself; a different admin must approve it", p.Code)}
		}
	case "yes":
		if p.Sender != a.sender {
			return &ops.Error{Msg: fmt.Sprintf("%s was asked for by %s; only they can confirm it", p.Code, p.Sender)}
		}
		if p.NeedsSecond {
			return &ops.Error{Msg: fmt.Sprintf("%s needs a second admin", p.Code), Hint: fmt.Sprintf("another admin must send approve %s", p.Code)}
		}
	case "no":
		if p.Sender != a.sender {
			return &ops.Error{Msg: fmt.Sprintf("%s was asked for by %s; only they can withdraw it", p.Code, p.Sender)}
		}
	}
	return nil
}
