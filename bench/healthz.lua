-- wrk: GET /healthz, the baseline; every response must be 200 "ok".
dofile(os.getenv("BENCH_DIR") .. "/checked.lua")
expect_body("ok", true)
