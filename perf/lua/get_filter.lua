-- GET /Users?filter=userName eq "<name>", the name picked at random per request from
-- the list in BENCH_NAMES (one userName a line, all existing users).
package.path = os.getenv("BENCH_LUA_DIR") .. "/?.lua;" .. package.path
require "common"

local names = {}
local base, headers

local function urlencode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function init(args)
  for line in io.lines(os.getenv("BENCH_NAMES")) do
    if #line > 0 then
      table.insert(names, urlencode('userName eq "' .. line .. '"'))
    end
  end
  math.randomseed(os.time() * 1000 + (thread_id or 0))
  base = os.getenv("BENCH_PATH") .. "/Users?filter="
  headers = bench_headers(false)
end

function request()
  return wrk.format("GET", base .. names[math.random(#names)], headers)
end
