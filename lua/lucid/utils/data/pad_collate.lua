-- data.pad_collate({batch_first = true, padding_value = 0, packed = false,
-- enforce_sorted = false}): a collate_fn for sequences of different lengths.
-- An item is a sequence tensor (L_i, *) or an array {sequence, rest...}.
-- The batch is an array:
--   packed = false: {padded, lengths, rest...} with padded (N, L, *) (or
--     (L, N, *) without batch_first) and lengths an int64 tensor (N);
--   packed = true: {packed_sequence, rest...}, an nn.utils.rnn
--     PackedSequence that the recurrent modules take directly;
-- where each of rest... is default_collate of that position of the items.
local lucid = require("lucid")
local args = require("lucid.args")
local raise = args.raise
local default_collate = require("lucid.utils.data.default_collate")

return function(...)
  local a = args.parse("pad_collate", { "batch_first", "padding_value", "packed", "enforce_sorted" }, 1, ...)
  local batch_first = a.batch_first
  if batch_first == nil then batch_first = true end
  local padding_value = a.padding_value or 0
  local packed, enforce_sorted = a.packed or false, a.enforce_sorted or false
  for name, v in pairs({ batch_first = batch_first, packed = packed, enforce_sorted = enforce_sorted }) do
    if type(v) ~= "boolean" then raise(string.format("pad_collate: %s must be a boolean, got %s", name, type(v))) end
  end
  if type(padding_value) ~= "number" then
    raise(string.format("pad_collate: padding_value must be a number, got %s", type(padding_value)))
  end
  local rnn = require("nn.utils.rnn")
  return function(items)
    if type(items) ~= "table" or #items == 0 then
      raise("pad_collate: expected a non-empty Lua array of items")
    end
    local seqs, rests, width = {}, {}, nil
    for i, item in ipairs(items) do
      local seq = item
      if not lucid.is_tensor(item) then
        if type(item) ~= "table" or not lucid.is_tensor(item[1]) then
          raise(string.format("pad_collate: item %d must be a sequence tensor or an array {sequence, ...}", i))
        end
        seq = item[1]
        width = width or #item
        if #item ~= width then
          raise(string.format("pad_collate: item %d has %d fields, item 1 has %d", i, #item, width))
        end
        for k = 2, #item do
          rests[k - 1] = rests[k - 1] or {}
          rests[k - 1][i] = item[k]
        end
      end
      if seq:dim() == 0 then raise(string.format("pad_collate: sequence %d is a 0-dim tensor", i)) end
      seqs[i] = seq
    end
    local out
    if packed then
      out = { rnn.pack_sequence(seqs, { enforce_sorted = enforce_sorted }) }
    else
      local lengths = {}
      for i, s in ipairs(seqs) do lengths[i] = s:size(1) end
      out = { rnn.pad_sequence(seqs, { batch_first = batch_first, padding_value = padding_value }),
        lucid.tensor(lengths, { dtype = lucid.int64 }):view(#lengths) }
    end
    for _, column in ipairs(rests) do out[#out + 1] = default_collate(column) end
    return out
  end
end
