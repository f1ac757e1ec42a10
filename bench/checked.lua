-- wrk: shared by every bench script. Counts responses that are not what the benchmark asks for
-- (API errors are HTTP 200 with an `error` body, so wrk's own non-2xx count cannot see them) and
-- prints the count, with the first such body, when the run ends, for bench/run.py to read.
--
-- Use: `expect_body(pattern)` from the script, where pattern is a plain substring every good
-- response body contains, or `expect_body(text, true)` for a body that must equal text.

local threads = {}
local expected, exact

function expect_body(pattern, whole)
    expected, exact = pattern, whole
end

local function good(status, body)
    if status ~= 200 or body == nil then
        return false
    end
    if exact then
        return body == expected
    end
    return string.find(body, expected, 1, true) ~= nil
end

function setup(thread)
    table.insert(threads, thread)
end

bad = 0
first_bad = ""

function response(status, headers, body)
    if not good(status, body) then
        bad = bad + 1
        if first_bad == "" then
            -- Only failed responses land here. The one body that holds a value, a good
            -- GetSecretValue answer, is never kept.
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
