/**
 * Lua scripts: each updates the keys of one cluster slot atomically together with that slot's
 * per-partition position. An addition tagged with log offset o is made only when o is at or past
 * the slot's stored position for the partition, and the position moves to the batch's end: a
 * batch re-delivered after a crash, or applied twice by two processors during a rebalance, adds
 * each event's effects to each slot exactly once.
 */

/** Neighbours kept per item once pruned (a list grows to twice this first), as the memory store. */
export const MAX_NEIGHBOURS = 100;
/** Session ids kept per item in the session index postings, as the memory store. */
export const POSTING_LIMIT = 1000;

/**
 * KEYS[1]: the slot's applied hash; KEYS[2..]: the keys ops name by index.
 * ARGV[1]: partition, ARGV[2]: offset after the batch, then ops, each `offset code key args...`:
 *   c key metric n pane day popularity   count: ring panes (5-minute x 12, day x 2), total, popularity
 *   n key neighbour weight                 co-visitation weight, pruned to the strongest
 *   p key record statsKey                  session-index posting, and the item's session count
 *   z key member increment ttl             sorted-set score (top lists), with an expiry when ttl > 0
 */
export const APPLY_EFFECTS = `
local applied = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
local function paned(key, prefix, slots, id, metric, n)
  local field = prefix .. (id % slots)
  local current = tonumber(redis.call('HGET', key, field) or '-1')
  if current == id then
    redis.call('HINCRBY', key, field .. ':' .. metric, n)
  elseif current < id then
    redis.call('HSET', key, field, id)
    for m = 0, 4 do redis.call('HDEL', key, field .. ':' .. m) end
    redis.call('HSET', key, field .. ':' .. metric, n)
  end
end
local i = 3
while i <= #ARGV do
  local live = tonumber(ARGV[i]) >= applied
  local code = ARGV[i + 1]
  local key = KEYS[tonumber(ARGV[i + 2])]
  if code == 'c' then
    if live then
      local metric, n = ARGV[i + 3], tonumber(ARGV[i + 4])
      paned(key, 'p', 12, tonumber(ARGV[i + 5]), metric, n)
      paned(key, 'd', 2, tonumber(ARGV[i + 6]), metric, n)
      redis.call('HINCRBY', key, 't' .. metric, n)
      if ARGV[i + 7] ~= '0' then redis.call('HINCRBYFLOAT', key, 'pop', ARGV[i + 7]) end
    end
    i = i + 8
  elseif code == 'n' then
    if live then
      redis.call('HINCRBY', key, ARGV[i + 3], ARGV[i + 4])
      if redis.call('HLEN', key) >= ${2 * MAX_NEIGHBOURS} then
        local flat = redis.call('HGETALL', key)
        local entries = {}
        for j = 1, #flat, 2 do entries[#entries + 1] = { flat[j], tonumber(flat[j + 1]) } end
        table.sort(entries, function(a, b) return a[2] > b[2] end)
        for j = ${MAX_NEIGHBOURS + 1}, #entries do redis.call('HDEL', key, entries[j][1]) end
      end
    end
    i = i + 5
  elseif code == 'p' then
    if live then
      redis.call('LPUSH', key, ARGV[i + 3])
      redis.call('LTRIM', key, 0, ${POSTING_LIMIT - 1})
      redis.call('HINCRBY', KEYS[tonumber(ARGV[i + 4])], 'sc', 1)
    end
    i = i + 5
  elseif code == 'z' then
    if live then
      redis.call('ZINCRBY', key, ARGV[i + 4], ARGV[i + 3])
      if ARGV[i + 5] ~= '0' then redis.call('EXPIRE', key, ARGV[i + 5]) end
    end
    i = i + 6
  else
    return redis.error_reply('unknown op ' .. tostring(code))
  end
end
if tonumber(ARGV[2]) > applied then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
return applied
`;

/**
 * The partition's commit, last of a batch: counters of the events at or past the stored position,
 * then the position itself (and the latest event time seen). KEYS[1]: the partition's meta hash.
 * ARGV[1]: offset after the batch, ARGV[2]: latest event time, then pairs `offset counter`.
 */
export const COMMIT_PARTITION = `
local pos = tonumber(redis.call('HGET', KEYS[1], 'pos') or '0')
for i = 3, #ARGV, 2 do
  if tonumber(ARGV[i]) >= pos then redis.call('HINCRBY', KEYS[1], ARGV[i + 1], 1) end
end
if tonumber(ARGV[1]) > pos then redis.call('HSET', KEYS[1], 'pos', ARGV[1]) end
local wm = tonumber(redis.call('HGET', KEYS[1], 'wm') or '-1')
if tonumber(ARGV[2]) > wm then redis.call('HSET', KEYS[1], 'wm', ARGV[2]) end
return pos
`;
