-- wrk: SetSecretInfo with a new value on every request (a counter per wrk thread: within a
-- run no two writes carry the same value, and each differs from the value it replaces), spread over BENCH_SECRETS secrets
-- (`secret_000000`...) of BENCH_APP. A good response is exactly `{"result":1}`.
dofile(os.getenv("BENCH_DIR") .. "/checked.lua")
expect_body('{"result":1}', true)

local app = os.getenv("BENCH_APP")
local jwt = os.getenv("BENCH_JWT")
local secrets = tonumber(os.getenv("BENCH_SECRETS"))
local sent = 0

-- Numbers each thread (as its global `id`) on top of checked.lua's setup.
local threads_seen, checked_setup = 0, setup
function setup(thread)
    threads_seen = threads_seen + 1
    thread:set("id", threads_seen)
    checked_setup(thread)
end

request = function()
    sent = sent + 1
    local body = "cmd=SetSecretInfo&application_name=" .. app
        .. string.format("&secret_name=secret_%06d", sent % secrets)
        .. "&secret_value=bench-" .. id .. "-" .. sent
    return wrk.format("POST", "/platform_api", {
        ["Authorization"] = "Bearer " .. jwt,
        ["Content-Type"] = "application/x-www-form-urlencoded",
    }, body)
end
