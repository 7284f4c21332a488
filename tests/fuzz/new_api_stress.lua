-- Seeded stress of the public API added this session: every call gets hostile arguments.
-- Run through tests/fuzz/run.sh: each call is logged to stderr before it runs, so a crash
-- names its call; a Lua error is the correct answer and is ignored.
local F = nn.functional
local start = tonumber(arg and arg[1]) or 1
math.randomseed(tonumber(arg and arg[2]) or 7)
lucid.manual_seed(7)

local function values()
  local v = {
    nil, true, false, "x", 0/0, math.huge, -math.huge, 1e300, -1, -5, 0, 0.5, 2.5,
    math.mininteger, math.maxinteger, 2^31, 2^53, {}, {1, 2}, {-1}, {0},
    setmetatable({}, {__len = function() return 1e9 end}),
    lucid.randn(3, 4), lucid.randn(3, 4, {dtype = lucid.float64}),
    lucid.tensor({{1, 2}, {3, 4}}, {dtype = lucid.int64}), lucid.tensor({true, false, true}),
    lucid.zeros(0), lucid.zeros(0, 3), lucid.tensor(2.0), lucid.randn(4, 3):t(),
    lucid.randn(1, 3):expand(5, 3), lucid.randn(2, 3, 5), lucid.randn(2, 1, 5),
    lucid.tensor({5, -7, 100}, {dtype = lucid.int64}), lucid.randn(2, 2, 2, 2),
    lucid.zeros(3, 4, {dtype = lucid.bool}), lucid.ones(3, 4, {dtype = lucid.bool}),
    lucid.tensor({}, {dtype = lucid.int64}),
  }
  v.n = 40
  return v
end

local V = values()
local function pick() return V[math.random(1, V.n)] end

local calls = {
  {"where", function(a, b, c) return lucid.where(a, b, c) end, 3},
  {"masked_fill", function(a, b, c) return lucid.masked_fill(a, b, c) end, 3},
  {"masked_scatter", function(a, b, c) return lucid.masked_scatter(a, b, c) end, 3},
  {"masked_select", function(a, b) return lucid.masked_select(a, b) end, 2},
  {"nonzero", function(a, b) return lucid.nonzero(a, b) end, 2},
  {"argwhere", function(a) return lucid.argwhere(a) end, 1},
  {"isclose", function(a, b, c) return lucid.isclose(a, b, c) end, 3},
  {"logical_and", function(a, b) return lucid.logical_and(a, b) end, 2},
  {"logical_or", function(a, b) return lucid.logical_or(a, b) end, 2},
  {"logical_xor", function(a, b) return lucid.logical_xor(a, b) end, 2},
  {"logical_not", function(a) return lucid.logical_not(a) end, 1},
  {"index", function(a, b) return a[b] end, 2},
  {"index_tbl", function(a, b, c) return a[{b, c}] end, 3},
  {"index_tbl3", function(a, b, c) return a[{b, {c, b}}] end, 3},
  {"newindex", function(a, b, c) a[b] = c end, 3},
  {"newindex_tbl", function(a, b, c) a[{b, b}] = c end, 3},
  {"layer_norm", function(a, b, c) return F.layer_norm(a, b, c) end, 3},
  {"rms_norm", function(a, b, c) return F.rms_norm(a, b, c) end, 3},
  {"group_norm", function(a, b, c) return F.group_norm(a, b, c) end, 3},
  {"batch_norm", function(a, b, c) return F.batch_norm(a, b, c) end, 3},
  {"LayerNorm", function(a, b) return nn.LayerNorm(a)(b) end, 2},
  {"RMSNorm", function(a, b) return nn.RMSNorm(a)(b) end, 2},
  {"GroupNorm", function(a, b, c) return nn.GroupNorm(a, b)(c) end, 3},
  {"BatchNorm1d", function(a, b) return nn.BatchNorm1d(a)(b) end, 2},
  {"conv1d", function(a, b, c) return F.conv1d(a, b, nil, c) end, 3},
  {"conv1d_opts", function(a, b, c) return F.conv1d(lucid.randn(1, 2, 5), lucid.randn(2, 2, 3), nil, {stride = a, padding = b, dilation = c}) end, 3},
  {"conv1d_groups", function(a, b) return F.conv1d(lucid.randn(1, 4, 5), lucid.randn(4, 2, 3), nil, {groups = a, padding = b}) end, 2},
  {"Conv1d", function(a, b, c) return nn.Conv1d(a, b, c) end, 3},
  {"Conv1d_run", function(a, b, c) return nn.Conv1d(2, 2, 3, {stride = a, padding = b, dilation = c})(lucid.randn(1, 2, 5)) end, 3},
  {"conv_transpose1d", function(a, b, c) return F.conv_transpose1d(a, b, nil, c) end, 3},
  {"convT_opts", function(a, b, c) return F.conv_transpose1d(lucid.randn(1, 2, 5), lucid.randn(2, 2, 3), nil, {stride = a, padding = b, output_padding = c}) end, 3},
  {"ConvTranspose1d_run", function(a, b, c) return nn.ConvTranspose1d(2, 2, 3, {stride = a, padding = b, output_padding = c, dilation = a})(lucid.randn(1, 2, 5)) end, 3},
  {"max_pool1d", function(a, b, c) return F.max_pool1d(a, b, c) end, 3},
  {"max_pool1d_x", function(a, b, c) return F.max_pool1d(lucid.randn(1, 2, 5), a, b, c) end, 3},
  {"max_pool1d_opts", function(a, b, c) return F.max_pool1d(lucid.randn(1, 2, 5), 2, {stride = a, padding = b, dilation = c}) end, 3},
  {"avg_pool1d_x", function(a, b, c) return F.avg_pool1d(lucid.randn(1, 2, 5), a, b, c) end, 3},
  {"avg_pool1d", function(a, b, c) return F.avg_pool1d(a, b, c) end, 3},
  {"adaptive_avg", function(a, b) return F.adaptive_avg_pool1d(a, b) end, 2},
  {"adaptive_max", function(a, b) return F.adaptive_max_pool1d(a, b) end, 2},
  {"adaptive_avg_x", function(a) return F.adaptive_avg_pool1d(lucid.randn(1, 2, 5), a) end, 1},
  {"adaptive_max_x", function(a) return F.adaptive_max_pool1d(lucid.randn(1, 2, 5), a) end, 1},
  {"ctc_loss", function(a, b, c) return F.ctc_loss(a, b, c, c) end, 3},
  {"ctc_loss2", function(a, b, c)
    local lp = lucid.randn(5, 2, 4):log_softmax(3)
    return F.ctc_loss(lp, lucid.tensor({{1, 2}, {2, 3}}, {dtype = lucid.int64}), a, b, c) end, 3},
  {"ctc_loss3", function(a, b)
    local lp = lucid.randn(5, 2, 4):log_softmax(3)
    return F.ctc_loss(lp, a, lucid.tensor({5, 5}, {dtype = lucid.int64}), b) end, 2},
  {"embedding", function(a, b, c) return F.embedding(a, b, c) end, 3},
  {"embedding_mn", function(a, b) return F.embedding(a, lucid.randn(4, 3), {max_norm = b}) end, 2},
  {"embedding_bag", function(a, b, c) return F.embedding_bag(a, b, c) end, 3},
  {"embedding_bag2", function(a, b) return F.embedding_bag(lucid.tensor({1, 2, 3, 4}, {dtype = lucid.int64}), lucid.randn(5, 3), a, b) end, 2},
  {"EmbeddingBag", function(a, b, c) return nn.EmbeddingBag(a, b, c) end, 3},
  {"sdpa", function(a, b, c) return F.scaled_dot_product_attention(a, b, c) end, 3},
  {"sdpa_mask", function(a) local q = lucid.randn(2, 3, 4) return F.scaled_dot_product_attention(q, q, q, {attn_mask = a}) end, 1},
  {"MHA", function(a, b) return nn.MultiheadAttention(a, b) end, 2},
  {"MHA_run", function(a, b, c) return nn.MultiheadAttention(4, 2)(a, b, c) end, 3},
  {"MHA_mask", function(a, b) local q = lucid.randn(3, 2, 4) return nn.MultiheadAttention(4, 2)(q, q, q, {attn_mask = a, key_padding_mask = b}) end, 2},
  {"pad", function(a, b, c) return F.pad(a, b, c) end, 3},
  {"pad_x", function(a, b) return F.pad(lucid.randn(2, 3), a, b) end, 2},
  {"pad_x2", function(a, b) return F.pad(lucid.randn(1, 2, 3), {a, b}, "reflect") end, 2},
  {"pad_x3", function(a, b) return F.pad(lucid.randn(1, 2, 3), {a, b}, "replicate") end, 2},
  {"pad_x4", function(a, b) return F.pad(lucid.randn(1, 2, 3), {a, b}, "circular") end, 2},
  {"one_hot", function(a, b) return F.one_hot(a, b) end, 2},
  {"save_torch", function(a, b) local p = os.tmpname() local ok, e = pcall(lucid.save, a, p, {format = b}) os.remove(p) if not ok then error(e) end end, 2},
  {"safetensors", function(a) local p = os.tmpname() local ok, e = pcall(lucid.safetensors.save, a, p) os.remove(p) if not ok then error(e) end end, 1},
  {"npy", function(a) local p = os.tmpname() local ok, e = pcall(lucid.npy.save, p, a) os.remove(p) if not ok then error(e) end end, 1},
  {"load", function(a, b) return lucid.load(a, b) end, 2},
  {"plot", function(a, b) return lucid.plot(a, b) end, 2},
  {"Logger", function(a, b) return lucid.utils.Logger(a, b) end, 2},
  {"datasets", function(a, b) for k, f in pairs(lucid.datasets) do if type(f) == "function" and k ~= "fetch" then pcall(f, a, b) end end end, 2},
  {"dist", function(a, b, c)
    local d = lucid.distributed
    pcall(d.init_process_group, a)
    for _, k in ipairs({"all_reduce", "broadcast", "all_gather", "reduce", "barrier", "send", "recv", "scatter", "gather", "reduce_scatter"}) do
      if d[k] then pcall(d[k], a, b, c) end
    end
  end, 3},
  {"DDP", function(a, b) return nn.parallel.DistributedDataParallel(a, b) end, 2},
  {"post_hook", function(a, b) return a:register_post_accumulate_grad_hook(b) end, 2},
  {"bw_hooks", function(a, b) return lucid.autograd.register_backward_hooks(a, b) end, 2},
  {"repl", function(a, b) for k, f in pairs(lucid.repl) do if type(f) == "function" and k ~= "run" and k ~= "start" and k ~= "loop" then pcall(f, a, b) end end end, 2},
}
-- the losses of nn.functional
for _, name in ipairs({"cross_entropy", "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
  "kl_div", "binary_cross_entropy", "binary_cross_entropy_with_logits", "poisson_nll_loss",
  "gaussian_nll_loss", "margin_ranking_loss", "cosine_embedding_loss", "triplet_margin_loss",
  "multilabel_soft_margin_loss", "bilinear", "normalize", "cosine_similarity", "softmax",
  "log_softmax", "dropout1d", "alpha_dropout", "unfold", "interpolate"}) do
  if F[name] then calls[#calls + 1] = {name, function(a, b, c) return F[name](a, b, c) end, 3} end
end

local reps = tonumber(os.getenv("FUZZ_REPS") or 60)
local n = 0
for _, c in ipairs(calls) do
  for r = 1, reps do
    n = n + 1
    local args = {pick(), pick(), pick()}
    if n >= start then
      io.stderr:write(string.format("CALL %d %s rep %d\n", n, c[1], r))
      io.stderr:flush()
      pcall(c[2], table.unpack(args, 1, c[3]))
      if n % 200 == 0 then collectgarbage() end
    end
  end
end
io.stderr:write("DONE " .. n .. "\n")
