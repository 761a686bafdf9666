package origin

import (
	"fmt"
	"sort"
	"strings"
)

// Seen is one answer that was judged the origin's, for the cross-host comparison.
type Seen struct {
	Host string
	Page Page
}

// SamePage finds answers that are one page served for several different hosts: an origin
// answers each of its hosts with its own content, a filter answers every host it refuses
// with one template. It returns, by index into seen, the verdict that replaces the pass.
//
// A page that names each asked host and is otherwise identical for two or more hosts is a
// block page (the filter filled in what it refused). An identical titled HTML page without
// the host, for hosts of two or more different domains, is ambiguous: unverified-origin.
// Empty bodies (HEAD, 204) are never compared, nor redirects: a 3xx body is the server
// software's boilerplate ("Document Moved", naming the host it moves to), the same on every
// origin running that software; a redirect is judged by its target.
func SamePage(seen []Seen) map[int]Verdict {
	groups := map[string][]int{}
	for i, s := range seen {
		p := s.Page
		if p.Digest == "" || p.Bytes == 0 || p.Status/100 == 3 {
			continue
		}
		key := fmt.Sprintf("%d|%s|%s|%s", p.Status, p.Server, p.ContentType, p.Digest)
		groups[key] = append(groups[key], i)
	}
	out := map[int]Verdict{}
	for _, idx := range groups {
		hosts := map[string]bool{}
		sites := map[string]bool{}
		names := true
		for _, i := range idx {
			hosts[strings.ToLower(seen[i].Host)] = true
			sites[registrable(seen[i].Host)] = true
			names = names && seen[i].Page.NamesTarget
		}
		if len(hosts) < 2 {
			continue
		}
		list := make([]string, 0, len(hosts))
		for h := range hosts {
			list = append(list, h)
		}
		sort.Strings(list)
		html := strings.Contains(seen[idx[0]].Page.ContentType, "html") && seen[idx[0]].Page.Title != ""
		for _, i := range idx {
			p := seen[i].Page
			switch {
			case names:
				out[i] = Verdict{Means: MeansBlock, Reason: ReasonBlockPage, By: "same-page", Page: &p,
					Detail: fmt.Sprintf("one page (title %q, %d bytes), differing only by the host it names, answered %d different hosts (%s): a filter's block template, not the origins",
						p.Title, p.Bytes, len(list), strings.Join(list, ", "))}
			case html && len(sites) >= 2:
				out[i] = Verdict{Reason: ReasonUnverified, By: "same-page", Page: &p,
					Detail: fmt.Sprintf("the identical page (title %q, %d bytes) answered %d hosts of different domains (%s)", p.Title, p.Bytes, len(list), strings.Join(list, ", ")),
					LookAt: "open two of these URLs in a browser through the same network: one page for different services is usually a filter's"}
			}
		}
	}
	return out
}
