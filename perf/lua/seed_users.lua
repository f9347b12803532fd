-- The initial sync: POST /Users for BENCH_COUNT users named BENCH_PREFIX .. "%06d@bench.test"
-- (0 .. BENCH_COUNT-1, the same bodies as scim_load.py's seed), split across wrk's threads:
-- thread t of T posts the indexes i with i % T == t - 1, and stops once every one of its
-- users is answered. wrk still runs its whole -d, so a thread that is done also writes the
-- file BENCH_DONE_DIR/<thread_id>: the benches time the sync by those files, without asking
-- the server (a `GET /Users?count=0` every half second counts every member, O(n) work that
-- grew with the sync and took CPU from it).
package.path = os.getenv("BENCH_LUA_DIR") .. "/?.lua;" .. package.path
require "common"

local path, headers, prefix, count, threads_n
local next_i, answered, mine, spare, started, done
local first = {"Ada", "Alan", "Grace", "Linus", "Barbara", "Ken", "Margaret", "Dennis", "Frances", "Edsger"}
local last = {"Lovelace", "Turing", "Hopper", "Torvalds", "Liskov", "Thompson", "Hamilton", "Ritchie", "Allen", "Dijkstra"}

function init(args)
  path = os.getenv("BENCH_PATH") .. "/Users"
  headers = bench_headers(true)
  prefix = os.getenv("BENCH_PREFIX")
  count = tonumber(os.getenv("BENCH_COUNT"))
  threads_n = tonumber(os.getenv("BENCH_THREADS"))
  next_i = thread_id - 1
  answered = 0
  mine = 0
  for i = thread_id - 1, count - 1, threads_n do mine = mine + 1 end
  -- Once this thread's users are all sent, its connections ask for something cheap
  -- until the last answers arrive.
  spare = wrk.format("GET", os.getenv("BENCH_PATH") .. "/ServiceProviderConfig", bench_headers(false))
end

function request()
  -- wrk may build a thread's first request only to check it and never send it, so the
  -- first one is the cheap spare: no user index is lost.
  if not started then
    started = true
    return spare
  end
  if next_i >= count then
    return spare
  end
  local i = next_i
  next_i = next_i + threads_n
  local name = string.format("%s%06d@bench.test", prefix, i)
  local g, f = first[i % 10 + 1], last[math.floor(i / 10) % 10 + 1]
  local body = string.format(
    '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"%s",' ..
    '"externalId":"ext-%s%06d","name":{"givenName":"%s","familyName":"%s","formatted":"%s %s"},' ..
    '"displayName":"%s %s","emails":[{"value":"%s","type":"work","primary":true}],"active":true}',
    name, prefix, i, g, f, g, f, g, f, name)
  return wrk.format("POST", path, headers, body)
end

function response(status, headers, body)
  if status == 201 then
    answered = answered + 1
  end
  if answered >= mine and next_i >= count then
    local dir = os.getenv("BENCH_DONE_DIR")
    if dir and not done then
      done = true
      local f = io.open(dir .. "/" .. thread_id, "w")
      if f then f:close() end
    end
    wrk.thread:stop()
  end
end
