// Package httpget reads the small HTTP answers the tests check (a deployment's /metrics and
// /healthz), so that provider and end-to-end tests share one way of doing it.
package httpget

import (
	"fmt"
	"io"
	"net/http"
	"time"
)

// Body returns the body of a 200 answer to GET url; any other status is an error that
// carries the body.
func Body(url string) (string, error) {
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s: %s", url, resp.Status, b)
	}
	return string(b), nil
}
