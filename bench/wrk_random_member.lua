-- wrk script: GET /api/v1/members/{id} with ids drawn at random from $IDS_FILE, as $TOKEN.
local ids = {}
for line in io.lines(os.getenv("IDS_FILE")) do
  ids[#ids + 1] = line
end
local headers = { ["Authorization"] = "Bearer " .. os.getenv("TOKEN") }
math.randomseed(os.time())

request = function()
  return wrk.format("GET", "/api/v1/members/" .. ids[math.random(#ids)], headers)
end
