-- A first tour: tensors, broadcasting, matmul and autograd, printed step by step
-- (`build/bin/lucid examples/main.lua`; `make run` runs examples/char_lm.lua).
lucid.manual_seed(0)

local x = lucid.randn(4, 3)
local w = lucid.randn(3, 2, { requires_grad = true })
local b = lucid.zeros(2, { requires_grad = true })

local y = (x:matmul(w) + b):tanh()
local loss = (y ^ 2):mean()
loss:backward()

print("x @ w + b, through tanh:")
print(y)
print("loss", loss:item())
print("d loss / d w:")
print(w.grad)
print("d loss / d b:")
print(b.grad)
