// Package secret generates the credentials rediskit makes itself (AUTH tokens, the admin and
// users' passwords) for the self-hosted provider and the Kubernetes operator alike.
package secret

import (
	"crypto/rand"
	"fmt"
	"math/big"
)

// Alphabet is valid for ElastiCache AUTH tokens and the engine's ACL rules alike.
const Alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-!&$^"

// Generate returns n characters of Alphabet from the system's random source.
func Generate(n int) (string, error) {
	b := make([]byte, n)
	for i := range b {
		k, err := rand.Int(rand.Reader, big.NewInt(int64(len(Alphabet))))
		if err != nil {
			return "", fmt.Errorf("generating a secret: %w", err)
		}
		b[i] = Alphabet[k.Int64()]
	}
	return string(b), nil
}
