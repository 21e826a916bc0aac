package mastodonsim

import (
	"net/http"
	"strconv"
)

// Role is a user role (UserRole): a name and a bitmask of permissions.
type Role struct {
	ID          string
	Name        string
	Permissions uint64
}

// Permission flags of UserRole::FLAGS that the imitation checks.
const (
	PermAdministrator uint64 = 1 << 0
	PermDevops        uint64 = 1 << 1
	PermManageUsers   uint64 = 1 << 10
)

// The stock roles of a Mastodon install (db/seeds/03_roles.rb).
var (
	RoleModerator = Role{ID: "1", Name: "Moderator", Permissions: PermManageUsers | 1<<2 | 1<<3 | 1<<4 | 1<<5 | 1<<7 | 1<<9 | 1<<16}
	RoleAdmin     = Role{ID: "2", Name: "Admin", Permissions: PermManageUsers | PermDevops | 1<<2 | 1<<3 | 1<<4 | 1<<5 | 1<<6 | 1<<7 | 1<<8 | 1<<9}
	RoleOwner     = Role{ID: "3", Name: "Owner", Permissions: PermAdministrator}
)

// WithRole gives a local account a role.
func WithRole(r Role) AccountOption {
	return func(a *Account) { rr := r; a.role = &rr }
}

// SetRole changes an account's role at run time (nil removes it), as an owner does in
// the admin UI.
func (s *Server) SetRole(a *Account, r *Role) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r != nil {
		rr := *r
		r = &rr
	}
	a.role = r
	s.changedLocked()
}

func (r *Role) can(p uint64) bool {
	return r != nil && (r.Permissions&PermAdministrator != 0 || r.Permissions&p != 0)
}

type adminAccountJSON struct {
	ID        string      `json:"id"`
	Username  string      `json:"username"`
	Domain    *string     `json:"domain"`
	CreatedAt string      `json:"created_at"`
	Role      *roleJSON   `json:"role"`
	Confirmed bool        `json:"confirmed"`
	Suspended bool        `json:"suspended"`
	Silenced  bool        `json:"silenced"`
	Disabled  bool        `json:"disabled"`
	Approved  bool        `json:"approved"`
	Account   accountJSON `json:"account"`
}

// adminGetAccount is GET /api/v1/admin/accounts/:id (Admin::AccountsController#show):
// the caller's role must allow manage_users.
func (s *Server) adminGetAccount(r *http.Request, c *call) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !c.account.role.can(PermManageUsers) {
		return errForbidden
	}
	a := s.accountsByID[r.PathValue("id")]
	if a == nil {
		return errNotFound
	}
	j := adminAccountJSON{
		ID: a.ID, Username: a.Username, CreatedAt: timestamp(a.CreatedAt),
		Confirmed: true, Approved: true, Silenced: a.Limited, Account: s.renderAccount(a),
	}
	if !a.Local() {
		d := a.Domain
		j.Domain = &d
	}
	if a.role != nil {
		j.Role = &roleJSON{ID: a.role.ID, Name: a.role.Name, Permissions: strconv.FormatUint(a.role.Permissions, 10), Highlighted: true}
	} else {
		// Every local user has the default (everyone) role, with no permissions.
		j.Role = &roleJSON{ID: "-99", Name: "", Permissions: "65536"}
	}
	return j
}
