package proxyconf

import "testing"

func TestMatchWinHTTP(t *testing.T) {
	tests := []struct {
		entry, host string
		port        int
		want        bool
	}{
		{"<local>", "server01", 443, true},
		{"<LOCAL>", "server01.", 443, true},
		{"<local>", "server01.contoso.com", 443, false},
		{"<local>", "::1", 443, false},
		{"*.contoso.com", "a.contoso.com", 443, true},
		{"*.contoso.com", "a.b.CONTOSO.com", 443, true},
		{"*.contoso.com", "contoso.com", 443, false},
		{"*.contoso.com", "evilcontoso.com", 443, false},
		{"contoso.com", "contoso.com", 443, true},
		{"contoso.com", "a.contoso.com", 443, false},
		{"*contoso*", "www.contoso.net", 443, true},
		{"10.*", "10.0.0.1", 80, true},
		{"10.*", "110.0.0.1", 80, false},
		{"*.fabrikam.com:80", "a.fabrikam.com", 80, true},
		{"*.fabrikam.com:80", "a.fabrikam.com", 443, false},
		{"https://*.fabrikam.com", "a.fabrikam.com", 443, true},
		{"", "a", 1, false},
		{"*", "anything.at.all", 1, true},
	}
	for _, tc := range tests {
		if got := matchWinHTTP(tc.entry, tc.host, tc.port); got != tc.want {
			t.Errorf("matchWinHTTP(%q, %q, %d) = %v", tc.entry, tc.host, tc.port, got)
		}
	}
}

func TestMatchNoProxy(t *testing.T) {
	tests := []struct {
		entry, host string
		port        int
		want        bool
	}{
		{"*", "x", 1, true},
		{"contoso.com", "contoso.com", 443, true},
		{"contoso.com", "a.contoso.com", 443, true},
		{"contoso.com", "evilcontoso.com", 443, false},
		{".contoso.com", "a.contoso.com", 443, true},
		{".contoso.com", "contoso.com", 443, false},
		{"*.contoso.com", "contoso.com", 443, false},
		{"<local>", "server01", 443, true},
		{"10.0.0.0/8", "10.9.8.7", 80, true},
		{"10.0.0.0/8", "11.0.0.1", 80, false},
		{"10.0.0.0/8", "ten.example", 80, false},
		{"192.168.1.1", "192.168.1.1", 80, true},
		{"[::1]:8080", "::1", 8080, true},
		{"[::1]:8080", "[::1]", 80, false},
		{"host:80", "host", 443, false},
		{"  ", "host", 443, false},
	}
	for _, tc := range tests {
		if got := matchNoProxy(tc.entry, tc.host, tc.port); got != tc.want {
			t.Errorf("matchNoProxy(%q, %q, %d) = %v", tc.entry, tc.host, tc.port, got)
		}
	}
}

func TestGlob(t *testing.T) {
	tests := []struct {
		p, s string
		want bool
	}{
		{"", "", true},
		{"*", "", true},
		{"a*b*c", "aXbYc", true},
		{"a*b*c", "aXbY", false},
		{"**a", "ba", true},
		{"a", "ab", false},
		{"*.x", ".x", true},
	}
	for _, tc := range tests {
		if got := glob(tc.p, tc.s); got != tc.want {
			t.Errorf("glob(%q, %q) = %v", tc.p, tc.s, got)
		}
	}
}
