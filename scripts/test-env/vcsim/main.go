// vcsim for claas's tests: govmomi's vCenter simulator (VPX model) with the vAPI REST endpoints mounted,
// serving HTTPS on a fixed loopback address. Built offline from Debian's golang-github-vmware-govmomi-dev
// by scripts/test-env/vcsim.sh (see shared/docs/test-peers.md).
//
// On start it writes -info (JSON): the SDK/REST base URL, the test login, the inventory ids the tests need
// (datastores, resource pools, VM folders, networks, hosts) and the server certificate (PEM and SHA-1
// thumbprint). It runs until SIGINT/SIGTERM.
package main

import (
	"crypto/sha1"
	"crypto/tls"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"log"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/vmware/govmomi/simulator"
	_ "github.com/vmware/govmomi/vapi/simulator" // mounts /rest (content library, OVF deploy, sessions)
	"github.com/vmware/govmomi/vim25/mo"
)

type ref struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Type string `json:"type,omitempty"`
}

type info struct {
	URL           string `json:"url"`
	SDK           string `json:"sdk"`
	User          string `json:"user"`
	Password      string `json:"password"`
	Thumbprint    string `json:"thumbprint"`
	CertFile      string `json:"certFile"`
	Pid           int    `json:"pid"`
	Datastores    []ref  `json:"datastores"`
	ResourcePools []ref  `json:"resourcePools"`
	Folders       []ref  `json:"folders"`
	Networks      []ref  `json:"networks"`
	Hosts         []ref  `json:"hosts"`
}

func entities(kind string, keep func(mo.Entity) bool) []ref {
	var out []ref
	for _, e := range simulator.Map.All(kind) {
		if keep != nil && !keep(e) {
			continue
		}
		me := e.Entity()
		out = append(out, ref{ID: me.Self.Value, Name: me.Name, Type: me.Self.Type})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func writeAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func main() {
	listen := flag.String("listen", "127.0.0.1:8989", "address to serve on")
	infoPath := flag.String("info", "vcsim.json", "where to write the connection info (JSON)")
	flag.Parse()

	model := simulator.VPX()
	if err := model.Create(); err != nil {
		log.Fatalf("vcsim: create model: %v", err)
	}
	defer model.Remove()
	model.Service.RegisterEndpoints = true
	model.Service.Listen = &url.URL{Host: *listen}
	model.Service.TLS = new(tls.Config) // vcsim's default: httptest's generated localhost certificate

	server := model.Service.NewServer()
	defer server.Close()

	cert := server.Certificate()
	sum := sha1.Sum(cert.Raw)
	hexes := make([]string, len(sum))
	for i, b := range sum {
		hexes[i] = fmt.Sprintf("%02X", b)
	}
	certFile := filepath.Join(filepath.Dir(*infoPath), "cert.pem")
	if err := writeAtomic(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})); err != nil {
		log.Fatalf("vcsim: write certificate: %v", err)
	}

	u := *server.URL
	user := u.User.Username()
	password, _ := u.User.Password()
	u.User = nil
	sdk := u.String()
	u.Path = ""

	vmFolders := func(e mo.Entity) bool {
		f, ok := e.(*simulator.Folder)
		if !ok {
			return false
		}
		for _, t := range f.ChildType {
			if t == "VirtualMachine" {
				return true
			}
		}
		return false
	}
	networks := append(entities("Network", nil), entities("DistributedVirtualPortgroup", func(e mo.Entity) bool {
		// The uplink portgroup cannot carry VM traffic.
		return !strings.Contains(e.Entity().Name, "Uplink")
	})...)

	out := info{
		URL:           u.String(),
		SDK:           sdk,
		User:          user,
		Password:      password,
		Thumbprint:    strings.Join(hexes, ":"),
		CertFile:      certFile,
		Pid:           os.Getpid(),
		Datastores:    entities("Datastore", nil),
		ResourcePools: entities("ResourcePool", nil),
		Folders:       entities("Folder", vmFolders),
		Networks:      networks,
		Hosts:         entities("HostSystem", nil),
	}
	data, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		log.Fatalf("vcsim: encode info: %v", err)
	}
	if err := writeAtomic(*infoPath, append(data, '\n')); err != nil {
		log.Fatalf("vcsim: write info: %v", err)
	}
	log.Printf("vcsim: serving %s (thumbprint %s), info in %s", out.URL, out.Thumbprint, *infoPath)

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	<-stop
	log.Printf("vcsim: stopping")
}
