-- nn.utils.rnn: packed sequences, as torch.nn.utils.rnn (PyTorch 1.13).
--
--   local rnn_utils = require("nn.utils.rnn")   -- also nn.utils.rnn
--   local packed = rnn_utils.pack_padded_sequence(x, {5, 3, 2}, {enforce_sorted = false})
--   local out, h = gru(packed)
--   local padded, lengths = rnn_utils.pad_packed_sequence(out, {batch_first = true})
--
-- A PackedSequence holds the time steps of a batch of sequences of different
-- lengths back to back: step t contributes batch_sizes[t] rows of `data`, one
-- for each sequence still running, longest sequence first. sorted_indices[i]
-- is the (1-based) original batch position of the i-th longest sequence and
-- unsorted_indices is its inverse; both are nil when the batch came sorted.
-- Packing and padding are each one index_select (a row gather, with a
-- scatter for its gradient), so gradients flow between the padded and the
-- packed form in both directions at O(numel) cost.
local lucid = require("lucid")
local raise = require("lucid.args").raise

local M = {}

-- ---- arguments ------------------------------------------------------------

local function describe(v)
  if lucid.is_tensor(v) then return "a tensor" end
  if type(v) == "string" then return string.format("'%s'", v) end
  if type(v) == "table" and getmetatable(v) and getmetatable(v).__name == "PackedSequence" then
    return "a PackedSequence"
  end
  return math.type(v) or type(v)
end

local args = require("lucid.args")

-- The three call forms of API.md ("Keyword arguments") reduced to one table.
-- Positions from `plain` on never take a Lua table, so a plain table there,
-- even an empty one, is the options table.
local parse = args.parse

local function check_bool(fname, args, name, default)
  local v = args[name]
  if v == nil then return default end
  if type(v) ~= "boolean" then
    raise(string.format("%s: %s must be a boolean, got %s", fname, name, describe(v)))
  end
  return v
end

local function check_tensor(fname, name, v)
  if not lucid.is_tensor(v) then
    raise(string.format("%s: %s must be a tensor, got %s", fname, name, describe(v)))
  end
  return v
end

-- A Lua array of integers, from a Lua array or a 1-D tensor of whole numbers.
local function int_list(fname, name, v)
  local list
  if lucid.is_tensor(v) then
    if v:dim() ~= 1 then
      raise(string.format("%s: %s must be a 1-D tensor or a Lua array of integers, got a %d-D tensor",
        fname, name, v:dim()))
    end
    list = v:tolist()
  elseif type(v) == "table" and getmetatable(v) == nil then
    list = v
  else
    raise(string.format("%s: %s must be a Lua array of integers or a 1-D int64 tensor, got %s",
      fname, name, describe(v)))
  end
  local out = {}
  for i = 1, #list do
    local x = list[i]
    local k = type(x) == "number" and math.tointeger(x) or nil
    if k == nil then
      raise(string.format("%s: %s must hold integers, got %s at position %d", fname, name,
        type(x) == "number" and tostring(x) or describe(x), i))
    end
    out[i] = k
  end
  return out
end

local function long_tensor(list)
  return lucid.tensor(list, { dtype = lucid.int64 })
end

-- Size table of a tensor with its first dim replaced by n (n = nil: dropped).
local function sizes_with(t, first, from)
  local s = { first }
  for d = from, t:dim() do s[#s + 1] = t:size(d) end
  return s
end

-- ---- PackedSequence -------------------------------------------------------

local PackedSequence = { __name = "PackedSequence" }
PackedSequence.__index = PackedSequence

local function invert(list)
  local inv = {}
  for i, v in ipairs(list) do inv[v] = i end
  return inv
end

local function check_permutation(fname, name, list)
  local seen = {}
  for i, v in ipairs(list) do
    if v < 1 or v > #list or seen[v] then
      raise(string.format("%s: %s must be a permutation of 1..%d (1-based), got %d at position %d",
        fname, name, #list, v, i))
    end
    seen[v] = true
  end
end

-- PackedSequence(data, batch_sizes [, sorted_indices [, unsorted_indices]]).
-- batch_sizes and the index arrays may be int64 tensors or Lua arrays; they
-- are stored as int64 tensors. As in PyTorch, unsorted_indices defaults to
-- the inverse of sorted_indices.
local function new_packed(...)
  local F = "PackedSequence"
  local a = parse(F, { "data", "batch_sizes", "sorted_indices", "unsorted_indices" }, 5, ...)
  check_tensor(F, "data", a.data)
  if a.data:dim() < 1 then
    raise(F .. ": data must have at least 1 dimension, got a 0-D tensor")
  end
  if a.batch_sizes == nil then raise(F .. ": missing argument 'batch_sizes'") end
  local bs = int_list(F, "batch_sizes", a.batch_sizes)
  if #bs == 0 then raise(F .. ": batch_sizes must not be empty") end
  local total = 0
  for i, b in ipairs(bs) do
    if b < 1 or (i > 1 and b > bs[i - 1]) then
      raise(string.format("%s: batch_sizes must be positive and non-increasing, got %d at position %d",
        F, b, i))
    end
    total = total + b
  end
  if total ~= a.data:size(1) then
    raise(string.format("%s: batch_sizes sum to %d but data has %d rows", F, total, a.data:size(1)))
  end
  local sorted, unsorted
  if a.sorted_indices ~= nil then
    sorted = int_list(F, "sorted_indices", a.sorted_indices)
    check_permutation(F, "sorted_indices", sorted)
  end
  if a.unsorted_indices ~= nil then
    unsorted = int_list(F, "unsorted_indices", a.unsorted_indices)
    check_permutation(F, "unsorted_indices", unsorted)
  elseif sorted then
    unsorted = invert(sorted)
  end
  if unsorted and not sorted then sorted = invert(unsorted) end
  for _, list in pairs({ sorted, unsorted }) do
    if #list ~= bs[1] then
      raise(string.format("%s: index tensors must have batch_sizes[1] = %d entries, got %d",
        F, bs[1], #list))
    end
  end
  local self = setmetatable({}, PackedSequence)
  self.data = a.data
  self.batch_sizes = lucid.is_tensor(a.batch_sizes) and a.batch_sizes.dtype == lucid.int64
    and a.batch_sizes:contiguous() or long_tensor(bs) -- the kernels read it in place
  if sorted then
    self.sorted_indices = lucid.is_tensor(a.sorted_indices) and a.sorted_indices.dtype == lucid.int64
      and a.sorted_indices or long_tensor(sorted) -- given, or the inverse of unsorted_indices
  end
  if unsorted then
    self.unsorted_indices = lucid.is_tensor(a.unsorted_indices) and a.unsorted_indices.dtype == lucid.int64
      and a.unsorted_indices or long_tensor(unsorted)
  end
  return self
end

-- Internal constructor from checked Lua arrays (no re-validation).
local function make_packed(data, bs, sorted, unsorted)
  local self = setmetatable({}, PackedSequence)
  self.data = data
  self.batch_sizes = long_tensor(bs)
  if sorted then
    self.sorted_indices = long_tensor(sorted)
    self.unsorted_indices = long_tensor(unsorted)
  end
  return self
end

-- A PackedSequence like p (its batch sizes and order, the same tensors)
-- holding other data: what the recurrent modules return, with nothing to
-- check again.
function M._with_data(p, data)
  return setmetatable({ data = data, batch_sizes = p.batch_sizes, sorted_indices = p.sorted_indices,
    unsorted_indices = p.unsorted_indices }, PackedSequence)
end

M.PackedSequence = setmetatable({}, {
  __call = function(_, ...) return new_packed(...) end,
  __index = PackedSequence,
  __tostring = function() return "PackedSequence" end,
})

-- rnn_utils.is_packed(v) -> true when v is a PackedSequence.
function M.is_packed(v)
  return type(v) == "table" and getmetatable(v) == PackedSequence
end

local function list_text(t)
  if t == nil then return "nil" end
  local parts = {}
  for i, v in ipairs(t:tolist()) do parts[i] = tostring(v) end
  return "{" .. table.concat(parts, ", ") .. "}"
end

-- PyTorch prints PackedSequence(data=tensor(...), batch_sizes=tensor([...]),
-- sorted_indices=None, unsorted_indices=None); here the data tensor prints on
-- its own lines and the int64 vectors as Lua arrays, None being nil.
function PackedSequence:__tostring()
  return string.format("PackedSequence(data=\n%s,\nbatch_sizes=%s, sorted_indices=%s, unsorted_indices=%s)",
    tostring(self.data), list_text(self.batch_sizes), list_text(self.sorted_indices),
    list_text(self.unsorted_indices))
end

-- The same packing with data converted (differentiably) to dtype; the index
-- tensors are shared. Returns self when the dtype is already right.
function PackedSequence:to(dtype)
  if not M.is_packed(self) then
    raise("PackedSequence.to: call it as packed:to(dtype)")
  end
  if dtype == "cpu" then return self end -- the one device, as Tensor:to("cpu")
  if dtype ~= lucid.float32 and dtype ~= lucid.float64 and dtype ~= lucid.int64 then
    raise(string.format("PackedSequence.to: dtype must be lucid.float32, lucid.float64 or lucid.int64, got %s",
      describe(dtype)))
  end
  if self.data.dtype == dtype then return self end
  local p = setmetatable({}, PackedSequence)
  p.data = self.data:to(dtype)
  p.batch_sizes, p.sorted_indices, p.unsorted_indices = self.batch_sizes, self.sorted_indices, self.unsorted_indices
  return p
end

function PackedSequence:double() return self:to(lucid.float64) end
function PackedSequence:float() return self:to(lucid.float32) end
function PackedSequence:long() return self:to(lucid.int64) end

-- data, batch_sizes, sorted_indices, unsorted_indices (PyTorch's namedtuple order).
function PackedSequence:unpack()
  return self.data, self.batch_sizes, self.sorted_indices, self.unsorted_indices
end

-- ---- packing --------------------------------------------------------------

-- Batch positions ordered by length, longest first; ties keep their order
-- (torch.sort(descending=True) on the CPU is stable, as the fixtures show).
local function sort_order(lengths)
  local order = {}
  for i = 1, #lengths do order[i] = i end
  table.sort(order, function(a, b)
    if lengths[a] ~= lengths[b] then return lengths[a] > lengths[b] end
    return a < b
  end)
  return order
end

-- batch_sizes of sorted (descending) lengths: step t holds the sequences
-- with length >= t.
local function batch_sizes_of(sorted_lengths)
  local bs, n = {}, #sorted_lengths
  for t = 1, sorted_lengths[1] do
    while n > 0 and sorted_lengths[n] < t do n = n - 1 end
    bs[t] = n
  end
  return bs
end

-- Packing and padding are gathers of rows, so each is one index_select: a
-- single graph node whose backward scatters the gradient back, O(numel), and
-- a fresh tensor (as PyTorch's, never a view of the input). The batch order
-- folds into the index: order[k] is the batch position of the k-th sequence
-- of the packed (sorted) batch.

-- x (L, N, *) -> data (sum bs, *): step t takes x[t][order[1..bs[t]]].
local function pack_rows(x, bs, order)
  local N, rows = x:size(2), {}
  for t, b in ipairs(bs) do
    for k = 1, b do rows[#rows + 1] = (t - 1) * N + order[k] end
  end
  return x:reshape(table.unpack(sizes_with(x, x:size(1) * N, 3))):index_select(1, long_tensor(rows))
end

-- The inverse: data packed with batch sizes bs -> (total, N, *), batch
-- position j holding the sequence packed at rank[j], padding_value after
-- each sequence's end.
local function pad_rows(data, bs, rank, total, padding_value)
  local N, T = #rank, data:size(1)
  local offsets, rows = {}, {}
  for t = 1, #bs do offsets[t] = t == 1 and 0 or offsets[t - 1] + bs[t - 1] end
  for t = 1, total do
    for j = 1, N do
      local k = rank[j]
      rows[#rows + 1] = (bs[t] or 0) >= k and offsets[t] + k or T + 1 -- T + 1: the padding row
    end
  end
  local padding = lucid.full(sizes_with(data, 1, 2), padding_value, { dtype = data.dtype })
  local shape = sizes_with(data, total, 2)
  table.insert(shape, 2, N)
  return lucid.cat({ data, padding }, 1):index_select(1, long_tensor(rows)):reshape(shape)
end

local function pack(F, input, lengths, batch_first, enforce_sorted)
  check_tensor(F, "input", input)
  if input:dim() < 2 then
    raise(string.format("%s: input must have at least 2 dimensions (%s), got %d", F,
      batch_first and "N, L, *" or "L, N, *", input:dim()))
  end
  if lengths == nil then raise(F .. ": missing argument 'lengths'") end
  lengths = int_list(F, "lengths", lengths)
  local x = batch_first and input:transpose(1, 2) or input
  local L, N = x:size(1), x:size(2)
  if N == 0 then raise(string.format("%s: input has an empty batch (N = 0)", F)) end
  if #lengths ~= N then
    raise(string.format("%s: got %d lengths for a batch of %d sequences", F, #lengths, N))
  end
  for i, l in ipairs(lengths) do
    if l <= 0 then
      raise(string.format("%s: lengths must be positive, got %d at position %d", F, l, i))
    end
    if l > L then
      raise(string.format("%s: lengths[%d] = %d exceeds the sequence length %d of input", F, i, l, L))
    end
  end
  local sorted_idx, unsorted_idx, order
  if enforce_sorted then
    for i = 2, N do
      if lengths[i] > lengths[i - 1] then
        raise(string.format("%s: lengths must be sorted in decreasing order when enforce_sorted is true "
          .. "(got %d then %d at positions %d, %d); pass enforce_sorted = false to sort them", F,
          lengths[i - 1], lengths[i], i - 1, i))
      end
    end
  else
    sorted_idx = sort_order(lengths)
    unsorted_idx = invert(sorted_idx)
    local sl = {}
    for i, v in ipairs(sorted_idx) do sl[i] = lengths[v] end
    lengths = sl
  end
  local bs = batch_sizes_of(lengths)
  order = sorted_idx
  if not order then -- already sorted: the identity
    order = {}
    for i = 1, N do order[i] = i end
  end
  return make_packed(pack_rows(x, bs, order), bs, sorted_idx, unsorted_idx)
end

-- pack_padded_sequence(input, lengths [, batch_first [, enforce_sorted]])
-- input (L, N, *) or, with batch_first, (N, L, *); lengths: Lua array or
-- 1-D tensor of N integers in 1..L.
function M.pack_padded_sequence(...)
  local F = "pack_padded_sequence"
  local a = parse(F, { "input", "lengths", "batch_first", "enforce_sorted" }, 3, ...)
  local batch_first = check_bool(F, a, "batch_first", false)
  local enforce_sorted = check_bool(F, a, "enforce_sorted", true)
  return pack(F, a.input, a.lengths, batch_first, enforce_sorted)
end

-- ---- padding --------------------------------------------------------------

local function check_number(fname, name, v, default)
  if v == nil then return default end
  if type(v) ~= "number" then
    raise(string.format("%s: %s must be a number, got %s", fname, name, describe(v)))
  end
  return v
end

-- pad_packed_sequence(sequence [, batch_first [, padding_value [, total_length]]])
-- -> padded (T, N, *) or (N, T, *), lengths (int64, original batch order).
function M.pad_packed_sequence(...)
  local F = "pad_packed_sequence"
  local a = parse(F, { "sequence", "batch_first", "padding_value", "total_length" }, 2, ...)
  local seq = a.sequence
  if not M.is_packed(seq) then
    raise(string.format("%s: sequence must be a PackedSequence, got %s", F, describe(seq)))
  end
  local batch_first = check_bool(F, a, "batch_first", false)
  local padding_value = check_number(F, "padding_value", a.padding_value, 0)
  local total_length = a.total_length
  local bs = seq.batch_sizes:tolist()
  local L = #bs
  if total_length ~= nil then
    if math.type(total_length) ~= "integer" then
      raise(string.format("%s: total_length must be an integer, got %s", F,
        type(total_length) == "number" and tostring(total_length) or describe(total_length)))
    end
    if total_length < L then
      raise(string.format("%s: total_length must be at least the length of the longest sequence %d, got %d",
        F, L, total_length))
    end
  else
    total_length = L
  end
  local N = bs[1]
  -- rank[j]: where batch position j sits in the packed (sorted) batch
  local rank = seq.unsorted_indices and seq.unsorted_indices:tolist() or {}
  for j = #rank + 1, N do rank[j] = j end
  local padded = pad_rows(seq.data, bs, rank, total_length, padding_value)
  -- Lengths of the sorted batch: sequence k runs while batch_sizes[t] >= k.
  local sorted_lengths, n = {}, L
  for k = 1, N do
    while n > 0 and bs[n] < k do n = n - 1 end
    sorted_lengths[k] = n
  end
  local lengths = {}
  for j, k in ipairs(rank) do lengths[j] = sorted_lengths[k] end
  if batch_first then padded = padded:transpose(1, 2) end
  return padded, long_tensor(lengths)
end

-- Checks a Lua array of tensors of shape (L_i, *) with the same trailing dims
-- and dtype; returns the array.
local function check_sequences(F, seqs)
  if type(seqs) ~= "table" or getmetatable(seqs) ~= nil then
    raise(string.format("%s: sequences must be a Lua array of tensors, got %s", F, describe(seqs)))
  end
  if #seqs == 0 then
    raise(string.format("%s: sequences must be a non-empty array of tensors, got an empty one", F))
  end
  local first
  for i = 1, #seqs do
    local s = seqs[i]
    if not lucid.is_tensor(s) then
      raise(string.format("%s: sequences[%d] must be a tensor, got %s", F, i, describe(s)))
    end
    if s:dim() < 1 then
      raise(string.format("%s: sequences[%d] must have at least 1 dimension (L, *), got a 0-D tensor", F, i))
    end
    if first == nil then
      first = s
    else
      local same = s:dim() == first:dim()
      for d = 2, first:dim() do same = same and s:size(d) == first:size(d) end
      if not same then
        local trail = function(t)
          local p = {}
          for d = 2, t:dim() do p[#p + 1] = tostring(t:size(d)) end
          return "(" .. table.concat(p, ", ") .. ")"
        end
        raise(string.format("%s: sequences[%d] has trailing dims %s, expected %s as sequences[1]", F, i,
          trail(s), trail(first)))
      end
      if s.dtype ~= first.dtype then
        raise(string.format("%s: sequences[%d] has dtype %s, expected %s as sequences[1]", F, i,
          tostring(s.dtype), tostring(first.dtype)))
      end
    end
  end
  return seqs
end

local function pad(F, seqs, batch_first, padding_value)
  check_sequences(F, seqs)
  local max_len = 0
  for _, s in ipairs(seqs) do max_len = math.max(max_len, s:size(1)) end
  local cols = {}
  for i, s in ipairs(seqs) do
    local l = s:size(1)
    if l < max_len then
      s = lucid.cat({ s, lucid.full(sizes_with(s, max_len - l, 2), padding_value, { dtype = s.dtype }) }, 1)
    end
    cols[i] = s
  end
  return lucid.stack(cols, batch_first and 1 or 2)
end

-- pad_sequence(sequences [, batch_first [, padding_value]]) -> (T, N, *) or (N, T, *)
function M.pad_sequence(...)
  local F = "pad_sequence"
  local a = parse(F, { "sequences", "batch_first", "padding_value" }, 2, ...)
  local batch_first = check_bool(F, a, "batch_first", false)
  local padding_value = check_number(F, "padding_value", a.padding_value, 0)
  return pad(F, a.sequences, batch_first, padding_value)
end

-- pack_sequence(sequences [, enforce_sorted]): pad_sequence then pack_padded_sequence.
function M.pack_sequence(...)
  local F = "pack_sequence"
  local a = parse(F, { "sequences", "enforce_sorted" }, 2, ...)
  local enforce_sorted = check_bool(F, a, "enforce_sorted", true)
  local seqs = check_sequences(F, a.sequences)
  local lengths = {}
  for i, s in ipairs(seqs) do lengths[i] = s:size(1) end
  return pack(F, pad(F, seqs, false, 0), lengths, false, enforce_sorted)
end

return M
