package mastodonsim

// homeFilteredLocked is FeedManager#filter_from_home's reply rule: a reply
// to a third account stays out of the home feed of someone who does not
// follow that account.
func (s *Server) homeFilteredLocked(st *status, receiver *Account) bool {
	if st.inReplyToAccountID == "" || st.inReplyToAccountID == receiver.ID || st.inReplyToAccountID == st.account.ID {
		return false
	}
	target := s.accountsByID[st.inReplyToAccountID]
	return target == nil || !s.followingLocked(receiver, target)
}

// fanOutLocked is FanOutOnWriteService for event "update" or
// "status.update": the author's home feed, local followers (only the
// mentioned ones for direct and limited statuses), and the public and
// hashtag streams for public non-boosts.
func (s *Server) fanOutLocked(st *status, event string) {
	var homes []*Account
	if st.account.Local() {
		homes = append(homes, st.account)
	}
	for _, f := range s.followersLocked(st.account) {
		if !f.Local() || s.homeFilteredLocked(st, f) {
			continue
		}
		switch st.visibility {
		case "direct", "limited":
			if st.mentionsAccount(f) {
				homes = append(homes, f)
			}
		default:
			homes = append(homes, f)
		}
	}
	for _, h := range homes {
		st.delivered[h.ID] = true
		s.publishStatusLocked("timeline:"+h.ID, event, st, h)
	}
	if st.visibility == "public" && st.reblog == nil && !st.account.Limited {
		for _, ch := range publicChannels(st) {
			s.publishStatusLocked(ch, event, st, nil)
		}
	}
}

// publicChannels lists the public and hashtag streams a public status goes to.
func publicChannels(st *status) []string {
	locality := ":remote"
	if st.account.Local() {
		locality = ":local"
	}
	chans := []string{"timeline:public", "timeline:public" + locality}
	for _, t := range st.tags {
		chans = append(chans, "timeline:hashtag:"+t)
		if st.account.Local() {
			chans = append(chans, "timeline:hashtag:"+t+":local")
		}
	}
	return chans
}

func (s *Server) publishStatusLocked(channel, event string, st *status, viewer *Account) {
	if !s.hub.hasSubscribers(channel) {
		return
	}
	s.hub.publish(channel, event, mustJSON(s.renderStatus(st, viewer, false)))
}
