package host

import (
	"fmt"
	"regexp"
)

// unitRE is a systemd unit name with its type, as unit_name_is_valid accepts a unit or an
// instance of a template: letters, digits and ":-_.\", an optional non-empty @instance
// (which may hold '@' too), and a type. No globs: journalctl -u would expand them.
var unitRE = regexp.MustCompile(`^[A-Za-z0-9:_.\\-]+(@[A-Za-z0-9:_.\\@-]+)?` + unitType)

// unitType is the type suffix of a unit name.
const unitType = `\.(service|socket|device|mount|automount|swap|target|path|timer|slice|scope)$`

var typeRE = regexp.MustCompile(unitType)

// maxUnitName is systemd's UNIT_NAME_MAX.
const maxUnitName = 255

// CheckUnit returns an error unless name is a systemd unit name with its type, such as
// "certbot.service", "certbot.timer" or "pg-dump@main.service".
func CheckUnit(name string) error {
	if len(name) > maxUnitName || !unitRE.MatchString(name) {
		return fmt.Errorf("expected a systemd unit with its type such as certbot.service or certbot.timer, got %q", name)
	}
	return nil
}

// Unit is name as systemctl and journalctl read a unit given without its type: "certbot"
// is "certbot.service". A name with a type is returned as it is. The result is checked
// with CheckUnit.
func Unit(name string) (string, error) {
	if !typeRE.MatchString(name) {
		if withType := name + ".service"; unitRE.MatchString(withType) && len(withType) <= maxUnitName {
			return withType, nil
		}
	}
	return name, CheckUnit(name)
}
