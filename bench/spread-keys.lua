-- wrk script: GET /Commerce/Products(<key>) with the key drawn at random from the demo's first
-- SPREAD_KEYS standalone products (default 1000), so reads are spread over the catalog instead of
-- repeating one URL. Used by bench/products-by-key.sh when SPREAD_KEYS is set.
local first = 68719476737
local count = tonumber(os.getenv("SPREAD_KEYS") or "1000")

math.randomseed(os.time())

request = function()
    -- %.0f: the keys pass 2^31, which %d cannot format in every Lua wrk is built with.
    return wrk.format("GET", string.format("/Commerce/Products(%.0f)", first + math.random(0, count - 1)))
end
