package mastodonsim_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/tootops/tootops/mastodonsim"
)

func TestAdminAccountRole(t *testing.T) {
	srv := mastodonsim.New(t)
	bot := srv.AddLocalAccount("tootops", mastodonsim.Bot(), mastodonsim.WithRole(mastodonsim.RoleModerator))
	alice := srv.AddLocalAccount("alice", mastodonsim.WithRole(mastodonsim.RoleAdmin))
	bob := srv.AddLocalAccount("bob")
	get := func(tok, id string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL+"/api/v1/admin/accounts/"+id, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body struct {
			Role struct {
				Name        string `json:"name"`
				Permissions string `json:"permissions"`
			} `json:"role"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body.Role.Name + ":" + body.Role.Permissions
	}
	tok := bot.Token("read", "admin:read:accounts")
	if code, role := get(tok, alice.ID); code != 200 || role != "Admin:2046" {
		t.Errorf("alice: %d %q", code, role)
	}
	if code, role := get(tok, bob.ID); code != 200 || role != ":65536" {
		t.Errorf("bob: %d %q", code, role)
	}
	srv.SetRole(alice, nil)
	if _, role := get(tok, alice.ID); role != ":65536" {
		t.Errorf("alice after demotion: %q", role)
	}
	if code, _ := get(bot.Token("read"), alice.ID); code != 403 {
		t.Errorf("without admin scope: %d, want 403", code)
	}
	if code, _ := get(bob.Token("read", "admin:read:accounts"), alice.ID); code != 403 {
		t.Errorf("a user without manage_users: %d, want 403", code)
	}
}
