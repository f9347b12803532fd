-- POST /Users with unique userNames: BENCH_PREFIX .. "t<thread>-<counter>@bench.test".
package.path = os.getenv("BENCH_LUA_DIR") .. "/?.lua;" .. package.path
require "common"

local path, headers, prefix
local n = 0
local first = {"Ada", "Alan", "Grace", "Linus", "Barbara", "Ken", "Margaret", "Dennis", "Frances", "Edsger"}
local last = {"Lovelace", "Turing", "Hopper", "Torvalds", "Liskov", "Thompson", "Hamilton", "Ritchie", "Allen", "Dijkstra"}

function init(args)
  path = os.getenv("BENCH_PATH") .. "/Users"
  headers = bench_headers(true)
  prefix = os.getenv("BENCH_PREFIX") .. "t" .. tostring(thread_id) .. "-"
end

function request()
  n = n + 1
  local name = string.format("%s%07d@bench.test", prefix, n)
  local g, f = first[n % 10 + 1], last[math.floor(n / 10) % 10 + 1]
  local body = string.format(
    '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"%s",' ..
    '"externalId":"ext-%s","name":{"givenName":"%s","familyName":"%s","formatted":"%s %s"},' ..
    '"displayName":"%s %s","emails":[{"value":"%s","type":"work","primary":true}],"active":true}',
    name, name, g, f, g, f, g, f, name)
  return wrk.format("POST", path, headers, body)
end
