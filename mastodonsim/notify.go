package mastodonsim

import (
	"slices"
	"strconv"
	"time"
)

// notif is a stored notification.
type notif struct {
	id        string
	seq       int64
	typ       string
	recipient *Account
	from      *Account
	status    *status // the activity's status: the mention's status, the boost, ...
	createdAt time.Time
	filtered  bool
	groupKey  string
}

// Policy is a notification policy (GET /api/v2/notifications/policy). Each
// field is "accept", "filter" or "drop".
type Policy struct {
	ForNotFollowing    string
	ForNotFollowers    string
	ForNewAccounts     string
	ForPrivateMentions string
	ForLimitedAccounts string
}

// DefaultPolicy is what a 4.3 account starts with: unsolicited private
// mentions and limited accounts are filtered, everything else accepted.
func DefaultPolicy() Policy {
	return Policy{
		ForNotFollowing:    "accept",
		ForNotFollowers:    "accept",
		ForNewAccounts:     "accept",
		ForPrivateMentions: "filter",
		ForLimitedAccounts: "filter",
	}
}

// SetPolicy replaces a's notification policy.
func (s *Server) SetPolicy(a *Account, p Policy) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.policies[a.ID] = &p
	s.changedLocked()
}

// Policy returns a's notification policy.
func (s *Server) Policy(a *Account) Policy {
	s.mu.Lock()
	defer s.mu.Unlock()
	return *s.policyLocked(a)
}

func (s *Server) policyLocked(a *Account) *Policy {
	p := s.policies[a.ID]
	if p == nil {
		d := DefaultPolicy()
		p = &d
		s.policies[a.ID] = p
	}
	return p
}

// notificationRequest groups filtered mentions from one account.
type notifRequest struct {
	id         int64
	recipient  *Account
	from       *Account
	createdAt  time.Time
	updatedAt  time.Time
	lastStatus *status
}

// nonFilterable are NotifyService::FilterCondition::NON_FILTERABLE_TYPES.
var nonFilterable = []string{"admin.sign_up", "admin.report", "poll", "update", "account_warning", "severed_relationships", "moderation_warning"}

var policySeverity = map[string]int{"accept": 0, "filter": 1, "drop": 2}

// policyActionLocked is NotifyService's FilterCondition (filter?) and the
// policy part of DismissCondition (dismiss? via the "drop" values): the
// harshest value among the policies that apply, unless the recipient
// accepted a request from the sender.
func (s *Server) policyActionLocked(recipient, sender *Account, typ string, st *status) string {
	if slices.Contains(nonFilterable, typ) || s.permissions[recipient.ID][sender.ID] {
		return "accept"
	}
	p := s.policyLocked(recipient)
	now := s.cfg.clock()
	notFollowing := !s.followingLocked(recipient, sender)
	action := "accept"
	apply := func(cond bool, v string) {
		if cond && policySeverity[v] > policySeverity[action] {
			action = v
		}
	}
	apply(sender.Limited && notFollowing, p.ForLimitedAccounts)
	apply(notFollowing, p.ForNotFollowing)
	since, follower := s.follows[sender.ID][recipient.ID]
	apply(!follower || since.After(now.Add(-3*24*time.Hour)), p.ForNotFollowers)
	apply(sender.CreatedAt.After(now.Add(-30*24*time.Hour)), p.ForNewAccounts)
	apply(notFollowing && typ == "mention" && st != nil && st.visibility == "direct" && !s.responseToRecipientLocked(st, recipient, sender), p.ForPrivateMentions)
	return action
}

// responseToRecipientLocked is FilterCondition#response_to_recipient?: up
// to 100 ancestors, is one a direct status of the recipient that mentions
// the sender? A reply into a thread the recipient started is not
// "unsolicited".
func (s *Server) responseToRecipientLocked(st *status, recipient, sender *Account) bool {
	id := st.inReplyToID
	for depth := 0; id != "" && depth <= 100; depth++ {
		anc := s.statusByID[id]
		if anc == nil || anc.deleted {
			return false
		}
		if anc.account == recipient && anc.visibility == "direct" && slices.Contains(anc.mentions, sender) {
			return true
		}
		id = anc.inReplyToID
	}
	return false
}

// notifyLocked is NotifyService#call: no notifications for remote
// recipients or for one's own actions; "drop" creates nothing; "filter"
// stores a filtered notification, updates the notification request and
// pushes nothing; otherwise the notification is streamed and a direct
// mention updates the recipient's conversation.
func (s *Server) notifyLocked(recipient, from *Account, typ string, st *status) {
	if !recipient.Local() || recipient == from {
		return
	}
	action := s.policyActionLocked(recipient, from, typ, st)
	if action == "drop" {
		return
	}
	now := s.cfg.clock()
	s.notifSeq++
	n := &notif{
		id:        strconv.FormatInt(s.notifSeq, 10),
		seq:       s.notifSeq,
		typ:       typ,
		recipient: recipient,
		from:      from,
		status:    st,
		createdAt: now,
		filtered:  action == "filter",
	}
	if !n.filtered && (typ == "reblog" || typ == "favourite") && st != nil {
		// NotifyService#notification_group_key: type-status-hour bucket.
		target := st
		if st.reblog != nil {
			target = st.reblog
		}
		n.groupKey = typ + "-" + target.id + "-" + strconv.FormatInt(now.Unix()/3600, 10)
	}
	s.notifs = append(s.notifs, n)
	s.notifByID[n.id] = n
	if n.filtered {
		if typ == "mention" {
			s.updateRequestLocked(recipient, from, st, now)
		}
	} else {
		s.pushNotificationLocked(n)
		if typ == "mention" && st != nil && st.visibility == "direct" {
			s.addToConversationLocked(recipient, st)
		}
	}
	s.changedLocked()
}

func (s *Server) pushNotificationLocked(n *notif) {
	ch := "timeline:" + n.recipient.ID + ":notifications"
	if s.hub.hasSubscribers(ch) {
		s.hub.publish(ch, "notification", mustJSON(s.renderNotification(n)))
	}
}

func (s *Server) updateRequestLocked(recipient, from *Account, st *status, now time.Time) {
	for _, rq := range s.requests {
		if rq.recipient == recipient && rq.from == from {
			rq.lastStatus, rq.updatedAt = st, now
			return
		}
	}
	s.requestSeq++
	s.requests = append(s.requests, &notifRequest{id: s.requestSeq, recipient: recipient, from: from, createdAt: now, updatedAt: now, lastStatus: st})
}

// acceptRequestLocked is AcceptNotificationRequestService plus
// UnfilterNotificationsWorker: the sender is permitted from now on, the
// filtered notifications become normal ones with their old ids (so a bot
// paging forward with min_id never sees them), direct mentions update the
// conversation, and notifications_merged is streamed.
func (s *Server) acceptRequestLocked(rq *notifRequest) {
	if s.permissions[rq.recipient.ID] == nil {
		s.permissions[rq.recipient.ID] = map[string]bool{}
	}
	s.permissions[rq.recipient.ID][rq.from.ID] = true
	for _, n := range s.notifs {
		if n.recipient == rq.recipient && n.from == rq.from && n.filtered {
			n.filtered = false
			if n.typ == "mention" && n.status != nil && n.status.visibility == "direct" {
				s.addToConversationLocked(rq.recipient, n.status)
			}
		}
	}
	s.removeRequestLocked(rq)
	s.hub.publish("timeline:"+rq.recipient.ID+":notifications", "notifications_merged", "1")
	s.changedLocked()
}

func (s *Server) removeRequestLocked(rq *notifRequest) {
	s.requests = slices.DeleteFunc(s.requests, func(x *notifRequest) bool { return x == rq })
}

func (s *Server) requestCountLocked(rq *notifRequest) int {
	n := 0
	for _, x := range s.notifs {
		if x.recipient == rq.recipient && x.from == rq.from && x.filtered {
			n++
		}
	}
	return n
}

// conversation is an AccountConversation: one account's view of a thread
// with a fixed set of participants.
type conversation struct {
	id           int64
	owner        *Account
	thread       int64
	participants []*Account // everyone but the owner
	statuses     []*status
	unread       bool
}

// addToConversationLocked is AccountConversation.add_status: find or
// create the owner's conversation for the thread and participants, make st
// its last status (unread unless the owner wrote it) and stream it.
func (s *Server) addToConversationLocked(owner *Account, st *status) {
	var parts []*Account
	for _, a := range append(slices.Clone(st.mentions), st.account) {
		if a != owner && !slices.Contains(parts, a) {
			parts = append(parts, a)
		}
	}
	slices.SortFunc(parts, func(a, b *Account) int { return compareIDs(a.ID, b.ID) })
	var c *conversation
	for _, x := range s.convs {
		if x.owner == owner && x.thread == st.thread && slices.Equal(x.participants, parts) {
			c = x
			break
		}
	}
	if c == nil {
		s.convSeq++
		c = &conversation{id: s.convSeq, owner: owner, thread: st.thread, participants: parts}
		s.convs = append(s.convs, c)
	}
	if !slices.Contains(c.statuses, st) {
		c.statuses = append(c.statuses, st)
	}
	c.unread = st.account != owner
	ch := "timeline:direct:" + owner.ID
	if s.hub.hasSubscribers(ch) {
		s.hub.publish(ch, "conversation", mustJSON(s.renderConversation(c)))
	}
}

func (s *Server) removeFromConversationsLocked(st *status) {
	s.convs = slices.DeleteFunc(s.convs, func(c *conversation) bool {
		c.statuses = slices.DeleteFunc(c.statuses, func(x *status) bool { return x == st })
		return len(c.statuses) == 0
	})
}

func (c *conversation) last() *status { return c.statuses[len(c.statuses)-1] }
