import torch
from accelerate import Accelerator
from accelerate.utils import DummyOptim

accelerator = Accelerator()
model = torch.nn.Linear(4, 4)
cls = torch.optim.AdamW if "optimizer" not in accelerator.state.deepspeed_plugin.deepspeed_config else DummyOptim
optimizer = cls(model.parameters(), lr=1e-4)
model, optimizer = accelerator.prepare(model, optimizer)
