package site

import (
	"testing"

	"github.com/cmpreflight/cmpreflight/catalog"
)

// The scp-connect profile lives beside the catalog but is owned here: pin what the
// ServiceConnectionTool -connect machine must reach.
func TestSCPConnectProfile(t *testing.T) {
	c, err := catalog.LoadProfile("scp-connect")
	if err != nil {
		t.Fatal(err)
	}
	targets, _ := catalog.Plan(c.Entries, catalog.PlanOptions{Edition: catalog.EditionCurrent, Cloud: "public"})
	byID := map[string]catalog.Target{}
	for _, tg := range targets {
		byID[tg.ID] = tg
	}
	for _, id := range []string{
		"go.microsoft.com:443", "download.microsoft.com:443", "download.windowsupdate.com:443",
		"configmgrbits.azureedge.net:443", "configmgrbits.cdn.manage.microsoft.com:443",
		"sccm.manage.microsoft.com:443", "cmbitsstore.blob.core.windows.net:443", "aka.ms:443",
		"crl3.digicert.com:80", "oneocsp.microsoft.com:80",
	} {
		tg, ok := byID[id]
		if !ok {
			t.Errorf("scp-connect plan lacks %s", id)
		} else if !tg.Required {
			t.Errorf("%s is not required", id)
		}
	}
	for _, id := range []string{"management.azure.com:443", "graph.microsoft.com:443", "dc.services.visualstudio.com:443", "sccmconnected-a01.cloudapp.net:443"} {
		if _, ok := byID[id]; ok {
			t.Errorf("scp-connect plan includes %s, which the connect machine does not use", id)
		}
	}
}
