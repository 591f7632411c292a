-- Neovim's built-in LSP client (0.7 API: vim.lsp.start_client) attached to `batchlint server`:
-- open a training config, wait for its diagnostics, edit the buffer without saving, wait for the
-- diagnostics to follow, then stop the server. Exit code 0 when all of that happened.
-- Environment: BATCHLINT_NVIM_FILE (the config to open), BATCHLINT_NVIM_PYTHON (the Python that has batchlint).
local file = assert(os.getenv("BATCHLINT_NVIM_FILE"), "set BATCHLINT_NVIM_FILE")
local python = os.getenv("BATCHLINT_NVIM_PYTHON") or "python3"
local timeout = tonumber(os.getenv("BATCHLINT_NVIM_TIMEOUT_MS") or "30000")

local function say(text)
  io.stdout:write(text .. "\n")
end

local function finish(code, why)
  if why then say(why) end
  vim.cmd((code == 0) and "qall!" or ("cquit " .. code))
end

local function codes(bufnr)
  local found = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    local code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code)
    if code then found[#found + 1] = code .. "@" .. (d.lnum + 1) end
  end
  table.sort(found)
  return found
end

local function has(bufnr, wanted)
  for _, c in ipairs(codes(bufnr)) do
    if c:match("^" .. wanted .. "@") then return true end
  end
  return false
end

vim.cmd("edit " .. vim.fn.fnameescape(file))
local bufnr = vim.api.nvim_get_current_buf()
local client_id = vim.lsp.start_client({
  name = "batchlint",
  cmd = { python, "-m", "batchlint", "server" },
  root_dir = vim.fn.fnamemodify(file, ":p:h"),
})
if not client_id then finish(3, "could not start batchlint server") end
vim.lsp.buf_attach_client(bufnr, client_id)

if not vim.wait(timeout, function() return has(bufnr, "BL102") end, 50) then
  finish(1, "no BL102 diagnostics arrived; got: " .. table.concat(codes(bufnr), " "))
end
say("diagnostics on open: " .. table.concat(codes(bufnr), " "))

-- Edit, unsaved: 7 per device and 2 accumulation on 16 processes make the stated 224.
for lnum, new in pairs({ [132] = "  train_batch_size: 7 # 单机", [135] = "  gradient_accumulation_steps: 2" }) do
  vim.api.nvim_buf_set_lines(bufnr, lnum - 1, lnum, false, { new })
end
if not vim.wait(timeout, function() return not has(bufnr, "BL102") and not has(bufnr, "BL101") end, 50) then
  finish(1, "diagnostics did not follow the edit; got: " .. table.concat(codes(bufnr), " "))
end
say("diagnostics after the edit: " .. table.concat(codes(bufnr), " "))

vim.lsp.stop_client(client_id)
if not vim.wait(10000, function() return vim.lsp.client_is_stopped(client_id) end, 50) then
  finish(1, "the server did not stop")
end
say("server stopped")
finish(0)
