-- wrk: GetSecretValue by name with a service-account JWT, as a client library sends it. A good
-- response carries the value.
dofile(os.getenv("BENCH_DIR") .. "/checked.lua")
expect_body('"secret_value"')

wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_JWT")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "cmd=GetSecretValue&application_name=" .. os.getenv("BENCH_APP")
    .. "&secret_name=" .. os.getenv("BENCH_SECRET")
