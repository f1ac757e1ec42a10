-- wrk: shared by every bench script. Counts responses that are not what the benchmark asks for
-- (API errors are HTTP 200 with an `error` body, so wrk's own non-2xx count cannot see them) and
-- prints the count, with the first such body, when the run ends, for bench/run.py to read.
--
-- Use: `expect_body(pattern)` from the script, where pattern is a plain substring every good
-- response body contains.

local threads = {}
local expected

function expect_body(pattern)
    expected = pattern
end

function setup(thread)
    table.insert(threads, thread)
end

bad = 0
first_bad = ""

function response(status, headers, body)
    if status ~= 200 or not string.find(body or "", expected, 1, true) then
        bad = bad + 1
        if first_bad == "" then
            -- Only bodies without the expected field land here: error bodies, never a value.
            first_bad = status .. " " .. string.sub(body or "", 1, 200)
        end
    end
end

function done(summary, latency, requests)
    local total, sample = 0, ""
    for _, thread in ipairs(threads) do
        total = total + thread:get("bad")
        if sample == "" then
            sample = thread:get("first_bad")
        end
    end
    io.write(string.format("bench bad responses: %d\n", total))
    if sample ~= "" then
        io.write("bench first bad response: " .. string.gsub(sample, "\n", " ") .. "\n")
    end
end
