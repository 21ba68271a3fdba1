package engine

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// HTTPHandler serves what monitoring asks a deployment: /metrics (Prometheus text, CloudWatch's
// names; see Metrics), /status (the readiness view as JSON) and /healthz (200 when ready, 503
// with the problems otherwise). `rediskit-engine up` and the provider's controller serve it.
func (e *Engine) HTTPHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", &Metrics{Engine: e})
	mux.HandleFunc("/status", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(e.Status(r.Context()))
	})
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		if st := e.Status(r.Context()); !st.Ready {
			http.Error(w, strings.Join(st.Problems, "\n"), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	return mux
}
