package main

import (
	"testing"

	"github.com/jigmq/jigmq/internal/testbroker"
)

func TestMain(m *testing.M) { testbroker.Main(m) }
