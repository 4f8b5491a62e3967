-- wrk script for bench/: searches whose totals are never in the count cache.
-- Each request searches one of BENCH_SEARCH_WORDS (comma-separated; each
-- matches about half of the bench user's tasks or more), in turn, plus two
-- "words" of punctuation only that encode the run's start (so the warm-up's
-- texts are not the measurement's), the thread and the request's number: the
-- server drops such a word (it matches nothing and blocks nothing), so the
-- matches are the word's, but the text is new and so is its cache key. Every
-- request thus pays the full count. Results as latency.lua prints them.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "latency.lua")

local words, path = {}, "/api/tasks"
for w in (os.getenv("BENCH_SEARCH_WORDS") or "talk,about,the"):gmatch("[^,]+") do words[#words + 1] = w end
local threads = 0

setup = function(thread)
  thread:set("tid", threads)
  threads = threads + 1
end

local n, tid = 0, 0
init = function(args)
  tid = tonumber(wrk.thread:get("tid")) or 0
  if args[1] then path = args[1] end
end

-- k in base 4 over URL-safe punctuation
local digits = { "-", ".", "_", "~" }
local function mark(k)
  local s = ""
  repeat
    s = s .. digits[k % 4 + 1]
    k = math.floor(k / 4)
  until k == 0
  return s
end

local run = mark(os.time() % 65536)

request = function()
  n = n + 1
  local w = words[(n % #words) + 1]
  return wrk.format("GET", path .. "?limit=10&search=" .. w .. "+" .. run .. "+" .. mark(n * 16 + tid))
end
