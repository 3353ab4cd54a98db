package gateway

import (
	"embed"
	"io/fs"
	"net/http"

	"github.com/jigmq/jigmq/mqmanager"
)

// The dashboard's pages, script and style are compiled in: nothing is
// fetched from elsewhere (test floors are often offline).
//
//go:embed dashboard
var assets embed.FS

func (g *Gateway) dashboard(mux *http.ServeMux) {
	sub, _ := fs.Sub(assets, "dashboard")
	mux.Handle("GET /assets/", http.StripPrefix("/assets/", http.FileServerFS(sub)))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { page(w, sub, "index.html") })
	mux.HandleFunc("GET /fixture/{serial}", func(w http.ResponseWriter, r *http.Request) {
		if mqmanager.CheckSerial(r.PathValue("serial")) != nil {
			http.Error(w, "not a fixture serial", http.StatusNotFound)
			return
		}
		page(w, sub, "fixture.html")
	})
}

func page(w http.ResponseWriter, sub fs.FS, name string) {
	b, err := fs.ReadFile(sub, name)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'self'")
	w.Write(b)
}
