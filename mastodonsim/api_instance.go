package mastodonsim

import (
	"net/http"
	"strings"
)

// The instance documents follow the samples instance-v1-deprecated.json and
// instance-v2.json key for key; values describe the imitation.

var supportedMimeTypes = []string{"image/jpeg", "image/png", "image/gif", "image/heic", "image/heif", "image/webp", "image/avif",
	"video/webm", "video/mp4", "video/quicktime", "video/ogg", "audio/wave", "audio/wav", "audio/x-wav", "audio/x-pn-wave",
	"audio/vnd.wave", "audio/ogg", "audio/vorbis", "audio/mpeg", "audio/mp3", "audio/webm", "audio/flac", "audio/aac",
	"audio/m4a", "audio/x-m4a", "audio/mp4", "audio/3gpp", "video/x-ms-asf"}

type pollsConfig struct {
	MaxOptions             int `json:"max_options"`
	MaxCharactersPerOption int `json:"max_characters_per_option"`
	MinExpiration          int `json:"min_expiration"`
	MaxExpiration          int `json:"max_expiration"`
}

var defaultPolls = pollsConfig{4, 50, 300, 2629746}

type statusesConfig struct {
	MaxCharacters            int `json:"max_characters"`
	MaxMediaAttachments      int `json:"max_media_attachments"`
	CharactersReservedPerURL int `json:"characters_reserved_per_url"`
}

type ruleJSON struct {
	ID   string `json:"id"`
	Text string `json:"text"`
	Hint string `json:"hint"`
}

var rules = []ruleJSON{{ID: "1", Text: "This server imitates Mastodon for tests.", Hint: ""}}

// streamingURL is the streaming base URL (ws:// as the server is plain HTTP).
func (s *Server) streamingURL() string { return "ws://" + strings.TrimPrefix(s.URL, "http://") }

func (s *Server) contactAccountLocked() *accountJSON {
	for _, a := range s.accounts {
		if a.Local() && !a.Bot {
			j := s.renderAccount(a)
			return &j
		}
	}
	return nil
}

// instanceV1 is the deprecated GET /api/v1/instance that go-mastodon reads
// (urls.streaming_api) before every SSE connection.
func (s *Server) instanceV1(_ *http.Request, _ *call) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	local, statuses := 0, 0
	for _, a := range s.accounts {
		if a.Local() {
			local++
		}
	}
	for _, st := range s.statuses {
		if st.account.Local() && !st.deleted {
			statuses++
		}
	}
	type mediaConfig struct {
		SupportedMimeTypes  []string `json:"supported_mime_types"`
		ImageSizeLimit      int      `json:"image_size_limit"`
		ImageMatrixLimit    int      `json:"image_matrix_limit"`
		VideoSizeLimit      int      `json:"video_size_limit"`
		VideoFrameRateLimit int      `json:"video_frame_rate_limit"`
		VideoMatrixLimit    int      `json:"video_matrix_limit"`
	}
	j := struct {
		URI              string            `json:"uri"`
		Title            string            `json:"title"`
		ShortDescription string            `json:"short_description"`
		Description      string            `json:"description"`
		Email            string            `json:"email"`
		Version          string            `json:"version"`
		URLs             map[string]string `json:"urls"`
		Stats            struct {
			UserCount   int `json:"user_count"`
			StatusCount int `json:"status_count"`
			DomainCount int `json:"domain_count"`
		} `json:"stats"`
		Thumbnail        string   `json:"thumbnail"`
		Languages        []string `json:"languages"`
		Registrations    bool     `json:"registrations"`
		ApprovalRequired bool     `json:"approval_required"`
		InvitesEnabled   bool     `json:"invites_enabled"`
		Configuration    struct {
			Accounts struct {
				MaxFeaturedTags   int `json:"max_featured_tags"`
				MaxPinnedStatuses int `json:"max_pinned_statuses"`
			} `json:"accounts"`
			Statuses         statusesConfig `json:"statuses"`
			MediaAttachments mediaConfig    `json:"media_attachments"`
			Polls            pollsConfig    `json:"polls"`
		} `json:"configuration"`
		ContactAccount *accountJSON `json:"contact_account"`
		Rules          []ruleJSON   `json:"rules"`
	}{
		URI:              s.Domain,
		Title:            "Mastodon",
		ShortDescription: "An in-process imitation of Mastodon",
		Email:            "admin@" + s.Domain,
		Version:          s.cfg.version,
		URLs:             map[string]string{"streaming_api": s.streamingURL()},
		Thumbnail:        s.URL + "/packs/media/images/preview.png",
		Languages:        []string{"en"},
		ContactAccount:   s.contactAccountLocked(),
		Rules:            rules,
	}
	j.Stats.UserCount, j.Stats.StatusCount = local, statuses
	j.Configuration.Accounts.MaxFeaturedTags, j.Configuration.Accounts.MaxPinnedStatuses = 10, maxPinned
	j.Configuration.Statuses = statusesConfig{s.cfg.maxChars, 4, charactersReservedPerURL}
	j.Configuration.MediaAttachments = mediaConfig{supportedMimeTypes, 16777216, 33177600, 103809024, 120, 8294400}
	j.Configuration.Polls = defaultPolls
	return j
}

// instanceV2 is GET /api/v2/instance: what a client should read for the
// streaming URL, the length limit and api_versions.mastodon.
func (s *Server) instanceV2(_ *http.Request, _ *call) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	active := 0
	for _, a := range s.accounts {
		if a.Local() {
			active++
		}
	}
	type iconJSON struct {
		Src  string `json:"src"`
		Size string `json:"size"`
	}
	type mediaConfig struct {
		DescriptionLimit    int      `json:"description_limit"`
		ImageMatrixLimit    int      `json:"image_matrix_limit"`
		ImageSizeLimit      int      `json:"image_size_limit"`
		SupportedMimeTypes  []string `json:"supported_mime_types"`
		VideoFrameRateLimit int      `json:"video_frame_rate_limit"`
		VideoMatrixLimit    int      `json:"video_matrix_limit"`
		VideoSizeLimit      int      `json:"video_size_limit"`
	}
	thumb := s.URL + "/packs/media/images/preview.png"
	j := struct {
		Domain      string `json:"domain"`
		Title       string `json:"title"`
		Version     string `json:"version"`
		SourceURL   string `json:"source_url"`
		Description string `json:"description"`
		Usage       struct {
			Users struct {
				ActiveMonth int `json:"active_month"`
			} `json:"users"`
		} `json:"usage"`
		Thumbnail struct {
			URL         string            `json:"url"`
			Description string            `json:"description"`
			Blurhash    *string           `json:"blurhash"`
			Versions    map[string]string `json:"versions"`
		} `json:"thumbnail"`
		Icon          []iconJSON `json:"icon"`
		Languages     []string   `json:"languages"`
		Configuration struct {
			URLs struct {
				Streaming      string  `json:"streaming"`
				Status         *string `json:"status"`
				About          string  `json:"about"`
				PrivacyPolicy  string  `json:"privacy_policy"`
				TermsOfService *string `json:"terms_of_service"`
			} `json:"urls"`
			Vapid struct {
				PublicKey string `json:"public_key"`
			} `json:"vapid"`
			Accounts struct {
				MaxFeaturedTags   int `json:"max_featured_tags"`
				MaxPinnedStatuses int `json:"max_pinned_statuses"`
			} `json:"accounts"`
			Statuses         statusesConfig `json:"statuses"`
			MediaAttachments mediaConfig    `json:"media_attachments"`
			Polls            pollsConfig    `json:"polls"`
			Translation      struct {
				Enabled bool `json:"enabled"`
			} `json:"translation"`
			LimitedFederation bool `json:"limited_federation"`
		} `json:"configuration"`
		Registrations struct {
			Enabled          bool    `json:"enabled"`
			ApprovalRequired bool    `json:"approval_required"`
			ReasonRequired   bool    `json:"reason_required"`
			Message          *string `json:"message"`
			MinAge           *int    `json:"min_age"`
			URL              *string `json:"url"`
		} `json:"registrations"`
		APIVersions struct {
			Mastodon int `json:"mastodon"`
		} `json:"api_versions"`
		Contact struct {
			Email   string       `json:"email"`
			Account *accountJSON `json:"account"`
		} `json:"contact"`
		Rules []ruleJSON `json:"rules"`
	}{
		Domain:      s.Domain,
		Title:       "Mastodon",
		Version:     s.cfg.version,
		SourceURL:   "https://github.com/mastodon/mastodon",
		Description: "An in-process imitation of Mastodon",
		Icon:        []iconJSON{{Src: s.URL + "/packs/assets/android-chrome-36x36.png", Size: "36x36"}},
		Languages:   []string{"en"},
		Rules:       rules,
	}
	j.Usage.Users.ActiveMonth = active
	j.Thumbnail.URL = thumb
	j.Thumbnail.Versions = map[string]string{"@1x": thumb, "@2x": thumb}
	c := &j.Configuration
	c.URLs.Streaming = s.streamingURL()
	c.URLs.About = s.URL + "/about"
	c.URLs.PrivacyPolicy = s.URL + "/privacy-policy"
	c.Vapid.PublicKey = "BCk-QqERU0q-CfYZjcuB6lnyyOYfJ2AifKqfeGIm7Z-HiTU5T9eTG5GxVA0_OH5mMlI4UkkDTpaZwozy0TzdZ2M="
	c.Accounts.MaxFeaturedTags, c.Accounts.MaxPinnedStatuses = 10, maxPinned
	c.Statuses = statusesConfig{s.cfg.maxChars, 4, charactersReservedPerURL}
	c.MediaAttachments = mediaConfig{1500, 33177600, 16777216, supportedMimeTypes, 120, 8294400, 103809024}
	c.Polls = defaultPolls
	j.APIVersions.Mastodon = s.cfg.apiVersion
	j.Contact.Email = "admin@" + s.Domain
	j.Contact.Account = s.contactAccountLocked()
	return j
}
