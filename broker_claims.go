package azinteractive

import (
	"encoding/json"
	"strings"
)

// withCP1 adds the CP1 client capability (CAE) to a claims request, as MSAL
// does for CAE clients: the broker has no capabilities option of its own.
func withCP1(claims string) string {
	doc := map[string]any{}
	if strings.TrimSpace(claims) != "" {
		if err := json.Unmarshal([]byte(claims), &doc); err != nil {
			return claims // the service will say what's wrong with it
		}
	}
	at, _ := doc["access_token"].(map[string]any)
	if at == nil {
		at = map[string]any{}
	}
	at["xms_cc"] = map[string]any{"values": []string{"CP1"}}
	doc["access_token"] = at
	b, err := json.Marshal(doc)
	if err != nil {
		return claims
	}
	return string(b)
}
