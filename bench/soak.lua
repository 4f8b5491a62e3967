-- wrk script for bench/soak.sh: a mix of what users do, every request with
-- the cookie given with -H. Per 1,000 requests: 500 list page 1, 100
-- deeper pages, 150 searches (a word at random of 40 of seed.sh's nouns and
-- a prefix), 50 stats, 199 creates and 1 login (argon2id: the expensive one). After each
-- request the connection waits SOAK_DELAY_MS (0: none), which is how the
-- soak holds a rate below capacity: wrk has no rate option. Prints the same
-- result line as latency.lua (loaded from the same directory).
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "latency.lua")

local words = { "budget", "invoice", "report", "presentation", "contract", "website", "newsletter",
  "roadmap", "backlog", "release", "database", "server", "laptop", "printer", "kitchen", "garage",
  "bathroom", "windows", "fence", "roof", "garden", "lawn", "dentist", "doctor", "pharmacy",
  "insurance", "taxes", "mortgage", "rent", "groceries", "birthday", "wedding", "vacation",
  "flights", "hotel", "passport", "visa", "luggage", "tickets", "budg" }
local email = os.getenv("SOAK_EMAIL") or ""
local password = os.getenv("SOAK_PASSWORD") or ""
local pause = tonumber(os.getenv("SOAK_DELAY_MS") or "0")
local n = 0
-- wrk.format uses the headers given instead of wrk.headers (the cookie of
-- -H): the JSON requests get a copy of them with a Content-Type
local json
local thread_seed = 0

setup = function(thread)
  thread_seed = thread_seed + 1
  thread:set("seed", thread_seed)
end

init = function()
  json = { ["Content-Type"] = "application/json" }
  for k, v in pairs(wrk.headers) do json[k] = v end
  math.randomseed(os.time() * 1000 + (seed or 0))
  n = math.random(0, 999)
end

delay = function()
  return pause
end


request = function()
  n = (n + 1) % 1000
  if n < 500 then
    return wrk.format("GET", "/api/tasks?page=1&limit=10")
  elseif n < 600 then
    return wrk.format("GET", string.format("/api/tasks?page=%d&limit=10", math.random(2, 200)))
  elseif n < 750 then
    return wrk.format("GET", "/api/tasks?limit=10&search=" .. words[math.random(#words)])
  elseif n < 800 then
    return wrk.format("GET", "/api/tasks/stats")
  elseif n < 999 then
    return wrk.format("POST", "/api/tasks", json, string.format(
      '{"title":"Soak task %d","description":"Made by the soak","priority":"medium","tags":["soak"]}',
      math.random(1, 1000000000)))
  end
  return wrk.format("POST", "/api/auth/login", json,
    string.format('{"email":"%s","password":"%s"}', email, password))
end
