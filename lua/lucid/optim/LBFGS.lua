-- lucid.optim.LBFGS, as torch.optim.LBFGS (PyTorch 1.13): limited-memory
-- BFGS over all parameters as one flat vector, with an optional strong-Wolfe
-- line search. Each step(closure) runs up to max_iter iterations, calling
-- closure() (which must zero the gradients, compute the loss, call backward
-- and return the loss) as often as it needs.
--
-- LBFGS(params, {lr = 1, max_iter = 20, max_eval = max_iter * 5 // 4,
-- tolerance_grad = 1e-7, tolerance_change = 1e-9, history_size = 100,
-- line_search_fn = false or "strong_wolfe"}). One parameter group only;
-- false stands for PyTorch's None (no line search).
--
-- The vector algebra runs as whole-tensor ops (no per-element Lua). PyTorch
-- keeps the curvature scalars (y.s, rho, alpha, ...) as tensors of the
-- parameters' dtype; here they are Lua numbers rounded to that dtype where
-- PyTorch rounds them, so float32 runs follow PyTorch's too.
local lucid = require("lucid")
local Optimizer = require("lucid.optim.Optimizer")

local function round32(x) return (string.unpack("f", string.pack("f", x))) end
local function same(x) return x end

local function check(self, g, where)
  if math.type(g.max_iter) ~= "integer" or g.max_iter < 1 then
    self:_error("max_iter must be a positive integer, got %s%s", tostring(g.max_iter), where or "")
  end
  if math.type(g.history_size) ~= "integer" or g.history_size < 1 then
    self:_error("history_size must be a positive integer, got %s%s", tostring(g.history_size), where or "")
  end
  if g.max_eval ~= false and (math.type(g.max_eval) ~= "integer" or g.max_eval < 1) then
    self:_error("max_eval must be a positive integer, got %s%s", tostring(g.max_eval), where or "")
  end
  if g.line_search_fn ~= false and g.line_search_fn ~= "strong_wolfe" then
    self:_error("only 'strong_wolfe' is supported as line_search_fn, got %s%s", tostring(g.line_search_fn),
      where or "")
  end
end

local function dot(a, b) return (a * b):sum():item() end
local function absmax(a) return a:abs():max():item() end

local LBFGS

-- ---- flat vectors over the parameters ---------------------------------------

local function params_of(self) return self.param_groups[1].params end

local function gather_flat_grad(self)
  local views = {}
  for i, p in ipairs(params_of(self)) do
    views[i] = p.grad and p.grad:reshape(-1) or lucid.zeros(p:numel(), { dtype = p.dtype })
  end
  return lucid.cat(views, 1)
end

local function add_grad(self, step_size, update)
  local offset = 0
  lucid.no_grad(function()
    for _, p in ipairs(params_of(self)) do
      local n = p:numel()
      p:add_(update:narrow(1, offset + 1, n):view_as(p), step_size)
      offset = offset + n
    end
  end)
end

local function clone_params(self)
  local out = {}
  for i, p in ipairs(params_of(self)) do out[i] = p:detach():clone() end
  return out
end

local function set_params(self, data)
  lucid.no_grad(function()
    for i, p in ipairs(params_of(self)) do p:copy_(data[i]) end
  end)
end

local function loss_number(self, loss)
  if lucid.is_tensor(loss) then return loss:item() end
  if type(loss) ~= "number" then self:_error("step: the closure must return the loss, got %s", type(loss)) end
  return loss
end

-- ---- strong Wolfe line search (PyTorch's _cubic_interpolate, _strong_wolfe) ----

local function cubic_interpolate(x1, f1, g1, x2, f2, g2, lo, hi)
  if lo == nil then
    if x1 <= x2 then lo, hi = x1, x2 else lo, hi = x2, x1 end
  end
  local d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
  local d2_square = d1 ^ 2 - g1 * g2
  if d2_square >= 0 then
    local d2 = math.sqrt(d2_square)
    local min_pos
    if x1 <= x2 then
      min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else
      min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    end
    return math.min(math.max(min_pos, lo), hi)
  end
  return (lo + hi) / 2.
end

local function strong_wolfe(obj, x, t, d, f, g, gtd, rnd, c1, c2, tolerance_change, max_ls)
  c1, c2, tolerance_change, max_ls = c1 or 1e-4, c2 or 0.9, tolerance_change or 1e-9, max_ls or 25
  local d_norm = absmax(d)
  g = g:clone()
  local f_new, g_new = obj(x, t, d)
  local evals = 1
  local gtd_new = rnd(dot(g_new, d))
  local t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
  local done, ls_iter = false, 0
  local bracket, bracket_f, bracket_g, bracket_gtd
  while ls_iter < max_ls do
    if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev) then
      bracket, bracket_f = { t_prev, t }, { f_prev, f_new }
      bracket_g, bracket_gtd = { g_prev, g_new:clone() }, { gtd_prev, gtd_new }
      break
    end
    if math.abs(gtd_new) <= -c2 * gtd then
      bracket, bracket_f, bracket_g = { t }, { f_new }, { g_new }
      done = true
      break
    end
    if gtd_new >= 0 then
      bracket, bracket_f = { t_prev, t }, { f_prev, f_new }
      bracket_g, bracket_gtd = { g_prev, g_new:clone() }, { gtd_prev, gtd_new }
      break
    end
    local min_step, max_step = t + 0.01 * (t - t_prev), t * 10
    local tmp = t
    t = cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, min_step, max_step)
    t_prev, f_prev, g_prev, gtd_prev = tmp, f_new, g_new:clone(), gtd_new
    f_new, g_new = obj(x, t, d)
    evals = evals + 1
    gtd_new = rnd(dot(g_new, d))
    ls_iter = ls_iter + 1
  end
  if ls_iter == max_ls then
    bracket, bracket_f, bracket_g = { 0, t }, { f, f_new }, { g, g_new }
  end
  local insuf_progress = false
  local low, high = 1, 2
  if not (bracket_f[1] <= bracket_f[#bracket_f]) then low, high = 2, 1 end
  while not done and ls_iter < max_ls do
    if math.abs(bracket[2] - bracket[1]) * d_norm < tolerance_change then break end
    t = cubic_interpolate(bracket[1], bracket_f[1], bracket_gtd[1], bracket[2], bracket_f[2], bracket_gtd[2])
    local bmax, bmin = math.max(bracket[1], bracket[2]), math.min(bracket[1], bracket[2])
    local eps = 0.1 * (bmax - bmin)
    if math.min(bmax - t, t - bmin) < eps then
      if insuf_progress or t >= bmax or t <= bmin then
        if math.abs(t - bmax) < math.abs(t - bmin) then t = bmax - eps else t = bmin + eps end
        insuf_progress = false
      else
        insuf_progress = true
      end
    else
      insuf_progress = false
    end
    f_new, g_new = obj(x, t, d)
    evals = evals + 1
    gtd_new = rnd(dot(g_new, d))
    ls_iter = ls_iter + 1
    if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low] then
      bracket[high], bracket_f[high], bracket_g[high], bracket_gtd[high] = t, f_new, g_new:clone(), gtd_new
      if bracket_f[1] <= bracket_f[2] then low, high = 1, 2 else low, high = 2, 1 end
    else
      if math.abs(gtd_new) <= -c2 * gtd then
        done = true
      elseif gtd_new * (bracket[high] - bracket[low]) >= 0 then
        bracket[high], bracket_f[high] = bracket[low], bracket_f[low]
        bracket_g[high], bracket_gtd[high] = bracket_g[low], bracket_gtd[low]
      end
      bracket[low], bracket_f[low], bracket_g[low], bracket_gtd[low] = t, f_new, g_new:clone(), gtd_new
    end
  end
  return bracket_f[low], bracket_g[low], bracket[low], evals
end

-- ---- the step ----------------------------------------------------------------

local function lbfgs_step(self, closure)
  if type(closure) ~= "function" then
    self:_error("step: LBFGS needs a closure that re-evaluates the model and returns the loss, got %s",
      type(closure))
  end
  local group = self.param_groups[1]
  self:_check_types(group, " (parameter group 1)")
  self:_check(group, " (parameter group 1)")
  local rnd = params_of(self)[1].dtype == lucid.float32 and round32 or same
  local lr, max_iter = group.lr, group.max_iter
  local max_eval = group.max_eval or max_iter * 5 // 4
  local tolerance_grad, tolerance_change = group.tolerance_grad, group.tolerance_change
  local history_size = group.history_size
  local eval = function() return lucid.enable_grad(closure) end

  local p1 = params_of(self)[1]
  local state = self.state[p1]
  if state == nil then
    state = { func_evals = 0, n_iter = 0 }
    self.state[p1] = state
  end
  local orig_loss = eval()
  local loss = loss_number(self, orig_loss)
  local current_evals = 1
  state.func_evals = state.func_evals + 1
  local flat_grad = gather_flat_grad(self)
  if absmax(flat_grad) <= tolerance_grad then return orig_loss end

  local d, t = state.d, state.t
  local old_dirs, old_stps, ro = state.old_dirs, state.old_stps, state.ro
  local H_diag, prev_flat_grad, prev_loss = state.H_diag, state.prev_flat_grad, state.prev_loss
  local n_iter = 0
  while n_iter < max_iter do
    n_iter = n_iter + 1
    state.n_iter = state.n_iter + 1
    if state.n_iter == 1 then
      d = flat_grad:neg()
      old_dirs, old_stps, ro, H_diag = {}, {}, {}, 1
    else
      local y = flat_grad - prev_flat_grad
      local s = d * t
      local ys = rnd(dot(y, s))
      if ys > 1e-10 then
        if #old_dirs == history_size then
          table.remove(old_dirs, 1)
          table.remove(old_stps, 1)
          table.remove(ro, 1)
        end
        old_dirs[#old_dirs + 1] = y
        old_stps[#old_stps + 1] = s
        ro[#ro + 1] = rnd(1. / ys)
        H_diag = rnd(ys / rnd(dot(y, y)))
      end
      local al = {}
      local q = flat_grad:neg()
      for i = #old_dirs, 1, -1 do
        al[i] = rnd(rnd(dot(old_stps[i], q)) * ro[i])
        q = q + old_dirs[i] * rnd(-al[i])
      end
      local r = q * H_diag
      for i = 1, #old_dirs do
        local be_i = rnd(rnd(dot(old_dirs[i], r)) * ro[i])
        r = r + old_stps[i] * rnd(al[i] - be_i)
      end
      d = r
    end
    prev_flat_grad = flat_grad:clone()
    prev_loss = loss
    if state.n_iter == 1 then
      t = rnd(math.min(1., rnd(1. / rnd(flat_grad:abs():sum():item()))) * lr)
    else
      t = lr
    end
    local gtd = rnd(dot(flat_grad, d))
    if gtd > -tolerance_change then break end
    local ls_evals = 0
    local opt_cond = false
    if group.line_search_fn == "strong_wolfe" then
      local x_init = clone_params(self)
      local function obj(x, step, dir)
        add_grad(self, step, dir)
        local f = loss_number(self, eval())
        local fg = gather_flat_grad(self)
        set_params(self, x)
        return f, fg
      end
      loss, flat_grad, t, ls_evals = strong_wolfe(obj, x_init, t, d, loss, flat_grad, gtd, rnd)
      add_grad(self, t, d)
      opt_cond = absmax(flat_grad) <= tolerance_grad
    else
      add_grad(self, t, d)
      if n_iter ~= max_iter then
        loss = loss_number(self, eval())
        flat_grad = gather_flat_grad(self)
        opt_cond = absmax(flat_grad) <= tolerance_grad
        ls_evals = 1
      end
    end
    current_evals = current_evals + ls_evals
    state.func_evals = state.func_evals + ls_evals
    if n_iter == max_iter or current_evals >= max_eval or opt_cond then break end
    if absmax(d * t) <= tolerance_change then break end
    if math.abs(loss - prev_loss) < tolerance_change then break end
  end
  state.d, state.t, state.old_dirs, state.old_stps, state.ro = d, t, old_dirs, old_stps, ro
  state.H_diag, state.prev_flat_grad, state.prev_loss = H_diag, prev_flat_grad, prev_loss
  return orig_loss
end

LBFGS = Optimizer:extend("LBFGS", {
  order = { "lr", "max_iter", "max_eval", "tolerance_grad", "tolerance_change", "history_size", "line_search_fn" },
  -- false stands for PyTorch's None (a nil would mean "not given")
  defaults = { lr = 1, max_iter = 20, max_eval = false, tolerance_grad = 1e-7, tolerance_change = 1e-9,
    history_size = 100, line_search_fn = false },
  types = { lr = "number", max_iter = "number", tolerance_grad = "number", tolerance_change = "number",
    history_size = "number" },
  ranges = { { "lr", "learning rate", 0 } },
  check = check,
  update = function() end,
})

local new = LBFGS.new
function LBFGS.new(cls, ...)
  local self = new(cls, ...)
  if #self.param_groups ~= 1 then self:_error("LBFGS doesn't support per-parameter options (parameter groups)") end
  local g = self.param_groups[1]
  if g.max_eval == false then g.max_eval = g.max_iter * 5 // 4 end
  return self
end

LBFGS.step = lbfgs_step
LBFGS._flat_state = true -- its state holds vectors over all parameters

return LBFGS
