package plan

import "github.com/rediskit/rediskit/infra/program"

var programForTest = program.Run
