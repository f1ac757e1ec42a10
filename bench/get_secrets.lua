-- wrk: GetSecrets on an application with many secrets, each request with another name filter
-- (a 3-digit part of the generated names `secret_000000`...; bench/run.py reports how many
-- names each part matches) and another page of 20. A good response carries a `result`.
dofile(os.getenv("BENCH_DIR") .. "/checked.lua")
expect_body('"result"')

local app = os.getenv("BENCH_APP")
local jwt = os.getenv("BENCH_JWT")

function init(args)
    math.randomseed(os.time() + (args[1] and tonumber(args[1]) or 0))
end

request = function()
    local part = string.format("%03d", math.random(0, 999))
    local offset = 20 * math.random(0, 4)
    local body = "cmd=GetSecrets&application_name=" .. app .. "&secret_name_part=" .. part
        .. "&count=20&offset=" .. offset
    return wrk.format("POST", "/platform_api", {
        ["Authorization"] = "Bearer " .. jwt,
        ["Content-Type"] = "application/x-www-form-urlencoded",
    }, body)
end
