-- data.default_collate(items): a batch from an array of items
-- (torch.utils.data.default_collate): tensors are stacked along a new
-- dim 1; integers become an int64 tensor and other numbers a float64 tensor
-- (PyTorch's Python int and float); an array item gives an array of
-- collated positions, a table with string keys a table of collated fields;
-- strings and booleans stay Lua arrays.
local lucid = require("lucid")
local raise = require("lucid.args").raise

local function is_plain(v) return type(v) == "table" and not lucid.is_tensor(v) end

local function collate(items, where)
  local first = items[1]
  local n = #items
  if lucid.is_tensor(first) then
    for i = 2, n do
      if not lucid.is_tensor(items[i]) or items[i].shape ~= first.shape then
        raise(string.format("default_collate: items%s must be tensors of one shape: item 1 is %s, item %d is %s",
          where, tostring(first.shape), i, lucid.is_tensor(items[i]) and tostring(items[i].shape) or type(items[i])))
      end
    end
    return lucid.stack(items, 1)
  end
  if type(first) == "number" then
    local integers = true
    for i = 1, n do
      if type(items[i]) ~= "number" then
        raise(string.format("default_collate: items%s mix numbers and %s", where, type(items[i])))
      end
      integers = integers and math.type(items[i]) == "integer"
    end
    return lucid.tensor(items, { dtype = integers and lucid.int64 or lucid.float64 }):view(n)
  end
  if type(first) == "string" or type(first) == "boolean" then return items end
  if is_plain(first) then
    local out = {}
    for k in pairs(first) do
      local column = {}
      for i = 1, n do
        if not is_plain(items[i]) or items[i][k] == nil then
          raise(string.format("default_collate: item %d%s has no field %s", i, where, tostring(k)))
        end
        column[i] = items[i][k]
      end
      out[k] = collate(column, string.format("%s[%s]", where, type(k) == "string" and ("'" .. k .. "'") or k))
    end
    return out
  end
  raise(string.format("default_collate: cannot collate items%s of type %s", where, type(first)))
end

return function(items)
  if not is_plain(items) or #items == 0 then
    raise("default_collate: expected a non-empty Lua array of items")
  end
  return collate(items, "")
end
